import { createHelm, type HelmMajor } from '../test/support/helm.ts';
import { parseSearchOutput, type SearchOutcome } from './compat-rows.ts';

/**
 * `helm repo add r URL` then `helm search repo r/ --versions --devel -o json` with real Helm,
 * in a Helm home of its own; a refused index is an outcome, not an error.
 */
export async function searchRepo(major: HelmMajor, url: string): Promise<SearchOutcome> {
  await using helm = await createHelm(major);
  try {
    await helm.run(['repo', 'add', 'r', url], { timeoutMs: 120_000 });
    const { stdout } = await helm.run([
      'search',
      'repo',
      'r/',
      '--versions',
      '--devel',
      '-o',
      'json',
    ]);
    return { ok: true, rows: parseSearchOutput(stdout) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
