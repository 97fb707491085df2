import { type ArchiveEntry, readEntry, scanChartArchive } from './chart-archive-scan.ts';
import { ChartFormatError } from './chart-format-error.ts';

export interface UploadScanLimits {
  maxUnpackedBytes: number;
  maxEntries: number;
  /** One file, unpacked: Helm's loader refuses a larger one. */
  maxFileBytes: number;
}

/** What an upload holds that its validation needs; everything else was checked and skipped. */
export interface ScannedChart {
  /** The one top-level directory. */
  top: string;
  /** `<top>/Chart.yaml`. */
  chartYaml: string;
  /** Subcharts Helm will load, by their path inside the chart: a Chart.yaml or an archive. */
  subcharts: Map<string, { chartYaml?: string; archive?: Buffer }>;
  /** Bytes of all files, unpacked. */
  unpacked: number;
}

const maxChartYamlBytes = 1024 * 1024;

/**
 * Reads every entry of an uploaded chart archive and refuses what Helm would not load or what
 * would be unsafe to unpack: more than one top-level directory, files outside it, links and
 * special files, a path twice, a file over `maxFileBytes`, no `<top>/Chart.yaml`, a subchart
 * directory without its Chart.yaml. Throws ChartFormatError.
 */
export async function scanUploadedChart(
  bytes: Uint8Array,
  limits: UploadScanLimits,
): Promise<ScannedChart> {
  let top: string | undefined;
  let chartYaml: string | undefined;
  const seen = new Set<string>();
  const subcharts: ScannedChart['subcharts'] = new Map();
  let unpacked = 0;
  await scanChartArchive(bytes, limits, async (entry) => {
    const [first, ...rest] = entry.parts;
    if (first === undefined) throw refused(entry, 'has an empty name');
    checkType(entry);
    if (top === undefined) top = first;
    if (first !== top)
      throw new ChartFormatError(
        `the archive has more than one top-level directory (${JSON.stringify(top)} and ${JSON.stringify(first)}); a chart has one, named after it`,
      );
    if (entry.type === 'directory') return undefined;
    if (rest.length === 0) throw refused(entry, "is a file outside the chart's directory");
    const path = rest.join('/');
    if (seen.has(path)) throw refused(entry, 'appears twice');
    seen.add(path);
    unpacked += entry.size;
    if (entry.size > limits.maxFileBytes) throw tooLarge(entry, limits.maxFileBytes);
    if (path === 'Chart.yaml') {
      chartYaml = await readChartYaml(entry);
      return undefined;
    }
    const role = subchartRole(rest);
    for (const dir of role?.dirs ?? []) if (!subcharts.has(dir)) subcharts.set(dir, {});
    if (role?.archive)
      subcharts.set(role.archive, { archive: await readEntry(entry, limits.maxFileBytes) });
    else if (role?.chartYamlOf)
      subcharts.set(role.chartYamlOf, { chartYaml: await readChartYaml(entry) });
    return undefined;
  });
  if (top === undefined) throw new ChartFormatError('the archive is empty');
  if (chartYaml === undefined)
    throw new ChartFormatError(`the archive has no ${top}/Chart.yaml: not a chart`);
  for (const [path, subchart] of subcharts) {
    if (!subchart.archive && subchart.chartYaml === undefined)
      throw new ChartFormatError(
        `${top}/${path} is in charts/, so Helm loads it as a subchart, but it has no Chart.yaml`,
      );
  }
  return { top, chartYaml, subcharts, unpacked };
}

/** Helm packages files and directories only; a link could point anywhere once unpacked. */
function checkType(entry: ArchiveEntry): void {
  switch (entry.type) {
    case 'file':
    case 'contiguous-file':
    case 'directory':
      return;
    case 'symlink':
    case 'link':
      throw refused(
        entry,
        `is a ${entry.type === 'link' ? 'hard' : 'symbolic'} link (to ${JSON.stringify(entry.linkname ?? '')}); a chart archive holds only files and directories`,
      );
    default:
      throw refused(
        entry,
        entry.type === 'unknown'
          ? 'has a tar type flag Ballast does not know; a chart holds files and directories'
          : `is a ${entry.type}, not a file or directory`,
      );
  }
}

interface SubchartRole {
  /** The subchart directories the file is inside, outermost first: each needs a Chart.yaml. */
  dirs: string[];
  /** The file is a packaged subchart (`charts/<x>.tgz`) at this path. */
  archive?: string;
  /** The file is the Chart.yaml of this subchart directory. */
  chartYamlOf?: string;
}

/**
 * Where a file sits among the subcharts Helm loads (`charts/<x>/…`, `charts/<x>.tgz`, nested
 * under other subcharts), or undefined if it belongs to the chart itself. Helm skips names
 * under `charts/` that start with `_` or `.`, and `.prov` files; a file directly in `charts/`
 * that is not a `.tgz` is a subchart without Chart.yaml to Helm.
 */
function subchartRole(rest: readonly string[]): SubchartRole | undefined {
  if (rest[0] !== 'charts' || rest[rest.length - 1]?.endsWith('.prov')) return undefined;
  const dirs: string[] = [];
  let i = 0;
  while (rest[i] === 'charts' && i + 1 < rest.length) {
    const name = rest[i + 1] as string;
    if (/^[_.]/.test(name)) break;
    const path = rest.slice(0, i + 2).join('/');
    if (i + 2 === rest.length)
      return name.endsWith('.tgz') ? { dirs, archive: path } : { dirs: [...dirs, path] };
    dirs.push(path);
    i += 2;
  }
  if (dirs.length === 0) return undefined;
  const chartYaml = i === rest.length - 1 && rest[i] === 'Chart.yaml';
  return chartYaml ? { dirs, chartYamlOf: dirs[dirs.length - 1] } : { dirs };
}

function refused(entry: ArchiveEntry, problem: string): ChartFormatError {
  return new ChartFormatError(`archive entry ${JSON.stringify(entry.name)} ${problem}`);
}

function readChartYaml(entry: ArchiveEntry): Promise<string> {
  return readEntry(entry, maxChartYamlBytes).then((bytes) => bytes.toString('utf8'));
}

function tooLarge(entry: ArchiveEntry, limit: number): ChartFormatError {
  return new ChartFormatError(
    `${entry.name} is larger than ${limit} bytes, Helm's limit for one file`,
  );
}
