import { readFileSync } from 'node:fs';

/**
 * Who owns a `tmp/` folder of the fs store, and whether that owner still runs.
 *
 * A folder is named `<pid>-<start>-…`, `start` being when the process started (field 22 of
 * `/proc/<pid>/stat`, in clock ticks since boot). `kill(pid, 0)` alone is fooled twice: a
 * killed process whose parent has not reaped it yet (a zombie) still answers, and a new
 * process may have been given the same pid. `/proc` tells both apart: a zombie's state is `Z`,
 * and a reused pid has another start time. Node has no `flock`, and a lock file kept fresh by
 * a timer would make a stalled but live process look dead, so this is the robust signal that
 * needs nothing of the process but to exist. Without `/proc` (not Linux) `kill(pid, 0)` decides.
 */
export function ownStamp(): string {
  const self = procStat(process.pid);
  return typeof self === 'object' ? `${process.pid}-${self.start}` : String(process.pid);
}

/** False only when the folder's owner is known to be gone (dead, a zombie, or its pid reused). */
export function ownerIsAlive(folder: string): boolean {
  const match = /^(\d+)-(?:(\d+)-)?/.exec(folder);
  const pid = Number(match?.[1]);
  if (!(pid > 0)) return false;
  if (pid === process.pid) return folder.startsWith(`${ownStamp()}-`);
  const stat = procStat(pid);
  if (stat === 'no-proc') return killZero(pid);
  if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return false;
  return match?.[2] === undefined || match[2] === stat.start;
}

function procStat(pid: number): { state: string; start: string } | undefined | 'no-proc' {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    return procMounted() ? undefined : 'no-proc';
  }
  // The command name (field 2) is in parentheses and may hold spaces or ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const start = fields[19];
  return state && start ? { state, start } : undefined;
}

function procMounted(): boolean {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
}

function killZero(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
