import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { DoctorError } from '../doctor-errors.ts';

/**
 * Kubernetes caps a ConfigMap at 1 MiB, so no real Corefile or resolv.conf is larger;
 * refusing bigger input early keeps the parser's work bounded.
 */
export const maxInputBytes = 1024 * 1024;

export interface TextInput {
  /** What to call the input in messages: the path, or `<stdin>`. */
  label: string;
  /** The absolute path for files (imports resolve against it); absent for stdin. */
  path?: string;
  text: string;
}

/** Reads a whole readable stream with the size limit. */
export async function readStream(
  stream: NodeJS.ReadableStream,
  label: string,
  limit = maxInputBytes,
): Promise<TextInput> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    size += buffer.length;
    if (size > limit) {
      throw new DoctorError('BALLAST_DOCTOR_INPUT_TOO_LARGE', { file: label, limit });
    }
    chunks.push(buffer);
  }
  return { label, text: decodeText(Buffer.concat(chunks), label) };
}

/** Reads a file with the size limit, synchronously (imports are resolved in the parser). */
export function readTextFile(path: string, label = path, limit = maxInputBytes): TextInput {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new DoctorError('BALLAST_DOCTOR_INPUT_UNREADABLE', {
      file: label,
      reason: reason(error),
    });
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) {
      throw new DoctorError('BALLAST_DOCTOR_INPUT_UNREADABLE', {
        file: label,
        reason: 'it is a directory',
      });
    }
    if (stat.size > limit) {
      throw new DoctorError('BALLAST_DOCTOR_INPUT_TOO_LARGE', { file: label, limit });
    }
    // Read one byte past the limit so a file that grows while we read is still caught.
    const buffer = Buffer.alloc(Math.min(limit + 1, Math.max(stat.size, 0) + 1));
    let length = 0;
    for (let i = 0; i < 1000 && length < buffer.length; i++) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > limit) {
      throw new DoctorError('BALLAST_DOCTOR_INPUT_TOO_LARGE', { file: label, limit });
    }
    return { label, path, text: decodeText(buffer.subarray(0, length), label) };
  } catch (error) {
    if (error instanceof DoctorError) throw error;
    throw new DoctorError('BALLAST_DOCTOR_INPUT_UNREADABLE', {
      file: label,
      reason: reason(error),
    });
  } finally {
    closeSync(fd);
  }
}

/** Rejects binary input with a clear message instead of lexing garbage into tokens. */
export function decodeText(buffer: Buffer, label: string): string {
  if (buffer.includes(0)) {
    throw new DoctorError('BALLAST_DOCTOR_INPUT_NOT_TEXT', {
      file: label,
      reason: 'it holds NUL bytes',
    });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    throw new DoctorError('BALLAST_DOCTOR_INPUT_NOT_TEXT', {
      file: label,
      reason: 'it is not valid UTF-8',
    });
  }
  // Control characters other than tab, LF, CR and form feed do not occur in config files.
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (
      (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0c && code !== 0x0d) ||
      code === 0x7f
    ) {
      throw new DoctorError('BALLAST_DOCTOR_INPUT_NOT_TEXT', {
        file: label,
        reason: `it holds the control character 0x${code.toString(16).padStart(2, '0')}`,
      });
    }
  }
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

function reason(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    const code = error.code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EACCES') return 'permission denied';
    if (code === 'EISDIR') return 'it is a directory';
    return code;
  }
  return error instanceof Error ? error.message : String(error);
}
