import yaml from 'js-yaml';

/** What a provenance file says it signs: the chart's name and version, and file digests. */
export interface ProvenanceClaims {
  name: string;
  version: string;
  /** File name → `sha256:…` as the signed message lists them. */
  files: Record<string, string>;
}

const signedHeader = '-----BEGIN PGP SIGNED MESSAGE-----';
const signatureHeader = '-----BEGIN PGP SIGNATURE-----';

/**
 * Reads the signed message of a Helm provenance file (`helm package --sign`): an OpenPGP
 * clear-signed text whose body is the chart's Chart.yaml, a `...` line, then the
 * `files:` map of archive names to sha256 digests. The signature itself is the client's to
 * verify (`helm verify`, `--verify`); Ballast only checks that the file belongs to the chart
 * it is stored with. Throws an Error naming what is wrong.
 */
export function readProvenanceClaims(bytes: Buffer): ProvenanceClaims {
  const text = bytes.toString('utf8').replace(/\r\n/g, '\n');
  const start = text.indexOf(`${signedHeader}\n`);
  const end = text.indexOf(`\n${signatureHeader}`);
  if (start === -1 || end === -1 || end < start)
    throw new Error('not a clear-signed OpenPGP message');
  // Armor headers (`Hash: SHA512`) end at the first empty line.
  const headersEnd = text.indexOf('\n\n', start);
  if (headersEnd === -1 || headersEnd > end) throw new Error('the signed message has no body');
  const body = text
    .slice(headersEnd + 2, end)
    .split('\n')
    .map((line) => (line.startsWith('- ') ? line.slice(2) : line))
    .join('\n');
  const [chartPart, filesPart] = body.split(/^\.\.\.$/m);
  const chart = loadMap(chartPart, 'the Chart.yaml part');
  const files = loadMap(filesPart, 'the files part').files;
  const name = chart.name;
  const version = chart.version;
  if (typeof name !== 'string' || typeof version !== 'string' || name === '' || version === '')
    throw new Error('the signed Chart.yaml has no name or version');
  if (typeof files !== 'object' || files === null || Array.isArray(files))
    throw new Error('the signed message lists no files');
  return { name, version, files: files as Record<string, string> };
}

function loadMap(text: string | undefined, what: string): Record<string, unknown> {
  if (text === undefined) throw new Error(`${what} is missing`);
  let value: unknown;
  try {
    value = yaml.load(text, { schema: yaml.FAILSAFE_SCHEMA });
  } catch {
    throw new Error(`${what} is not YAML`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${what} is not a map`);
  return value as Record<string, unknown>;
}
