import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { imagePaths, imageUser } from './app-layers.ts';

/**
 * Warms Node's compile cache for the image: runs the image's own `ballast` inside the image's
 * root (`unshare --root`, in a user namespace: no privileges needed) through `--version` and a
 * short `serve`, so that in the container the modules are found already stripped of their
 * types (the TypeScript stripper is never loaded: less memory, faster start). Inside the root
 * every path is the one the container sees, so the cached sources name /opt/ballast.
 *
 * Two runs, keeping only the entries both wrote alike: V8's code cache embeds the process's
 * random hash seed and differs from run to run, which would make every build a new image; the
 * type-stripped sources do not. V8 compiles at start-up as it would anyway.
 */
export async function warmCompileCache(root: string): Promise<number> {
  const first = await warmOnce(root, 'first');
  const second = await warmOnce(root, 'second');
  const target = path.join(root, imagePaths.compileCache);
  let kept = 0;
  try {
    for (const dir of await readdir(first)) {
      // Node names the folder after the uid that wrote it; the image runs as imageUser.
      const imageDir = path.join(target, dir.replace(/-\d+$/, `-${imageUser.uid}`));
      await mkdir(imageDir, { recursive: true });
      for (const file of await readdir(path.join(first, dir))) {
        const bytes = await readFile(path.join(first, dir, file));
        const again = await readFile(path.join(second, dir, file)).catch(() => undefined);
        if (!again?.equals(bytes)) continue;
        await writeFile(path.join(imageDir, file), bytes);
        kept += 1;
      }
    }
  } finally {
    await rm(first, { recursive: true, force: true });
    await rm(second, { recursive: true, force: true });
  }
  return kept;
}

/** One warm-up into its own cache folder; returns the folder's path outside the root. */
async function warmOnce(root: string, name: string): Promise<string> {
  const cache = `/${imagePaths.compileCache}.${name}`;
  const work = `/tmp/warm-${name}`;
  await mkdir(path.join(root, work), { recursive: true });
  try {
    await writeFile(
      path.join(root, work, 'ballast.yaml'),
      `listen: 127.0.0.1:0\nlog: { level: info }\nstorage: { fs: { path: ${work}/data } }\n`,
    );
    const env = { NODE_COMPILE_CACHE: cache };
    await runInRoot(root, ['--version'], env);
    await runInRoot(root, ['serve', '--config', `${work}/ballast.yaml`], env, /ballast is serving/);
  } finally {
    await rm(path.join(root, work), { recursive: true, force: true });
  }
  return path.join(root, cache);
}

/** Runs `ballast ARGS` inside the root; with `until`, stops it (SIGTERM) once the output matches. */
function runInRoot(
  root: string,
  args: string[],
  env: Record<string, string>,
  until?: RegExp,
): Promise<void> {
  const command = [`/${imagePaths.node}`, `/${imagePaths.app}/bin/ballast.js`, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['--user', '--map-root-user', '--root', root, ...command], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stopping: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // The shutdown handler is installed just after the line is logged: give it a moment.
      if (until?.test(output) && !stopping) stopping = setTimeout(() => child.kill('SIGTERM'), 500);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(stopping);
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `warming the compile cache: ballast ${args.join(' ')} exited ${code ?? signal}\n${output}`,
          ),
        );
    });
  });
}
