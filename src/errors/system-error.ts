import { getSystemErrorMessage } from 'node:util';

/**
 * An operating system error as a person reads it: the system's own wording and its code,
 * `read-only file system (EROFS)`, so EROFS is never reported as "no such file". Anything that
 * is not a system error is reduced to its message, never its stack.
 */
export function systemErrorText(error: unknown): string {
  const { code, errno } = error as NodeJS.ErrnoException;
  if (typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code)) {
    const text = systemText(errno, code);
    return text ? `${text} (${code})` : code;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Wording for codes whose system text says little to an operator. */
const plainer: Record<string, string> = {
  EADDRINUSE: 'address already in use: another process listens on this port',
  EADDRNOTAVAIL: 'address not available: no network interface of this machine has it',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved (DNS failure)',
};

function systemText(errno: number | undefined, code: string): string | undefined {
  if (plainer[code]) return plainer[code];
  if (typeof errno !== 'number' || errno >= 0) return undefined;
  try {
    return getSystemErrorMessage(errno);
  } catch {
    return undefined;
  }
}
