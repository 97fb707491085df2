import type { Readable } from 'node:stream';
import { BallastError } from '../errors/ballast-error.ts';

/**
 * Reads a request body into memory, no further than `limit` bytes: a Content-Length past it
 * is refused before a byte is read, and a body sent without one (chunked, as `cm-push` sends
 * it) is cut at the limit. Both throw BALLAST_UPLOAD_TOO_LARGE (413).
 */
export async function readUploadBody(
  stream: Readable,
  declaredLength: string | undefined,
  limit: number,
): Promise<Buffer> {
  const tooLarge = () => new BallastError('BALLAST_UPLOAD_TOO_LARGE', { limit });
  if (declaredLength !== undefined && Number(declaredLength) > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

export interface FormFile {
  data: Buffer;
  /** The part's filename, without any folder the client put before it. */
  fileName?: string;
}

const maxParts = 16;
const maxPartHeaderBytes = 8 * 1024;
const invalid = (reason: string) => new BallastError('BALLAST_UPLOAD_INVALID', { reason });

/** The boundary of a `multipart/form-data` content type, or undefined for any other type. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw invalid('the multipart content type names no boundary');
  return boundary;
}

/**
 * The parts of a `multipart/form-data` body (RFC 7578) by field name. The body must end
 * with the closing delimiter: a truncated form is refused, never half-read.
 */
export function parseMultipartForm(body: Buffer, boundary: string): Map<string, FormFile> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const fields = new Map<string, FormFile>();
  // The first delimiter may open the body without the CRLF before it.
  const first = body.indexOf(`--${boundary}`);
  if (first === -1 || (first > 0 && body.indexOf(delimiter) !== first - 2))
    throw invalid('the body is not the multipart form its content type announces');
  let at = first + boundary.length + 2;
  for (let parts = 0; ; parts++) {
    if (body.subarray(at, at + 2).toString() === '--') return fields;
    if (body.subarray(at, at + 2).toString() !== '\r\n' || parts >= maxParts)
      throw invalid('the multipart form is malformed after a boundary');
    const headersEnd = body.indexOf('\r\n\r\n', at + 2);
    if (headersEnd === -1 || headersEnd - at > maxPartHeaderBytes)
      throw invalid('a part of the multipart form has no end to its headers');
    const headers = body.subarray(at + 2, headersEnd).toString('utf8');
    const end = body.indexOf(delimiter, headersEnd + 4);
    if (end === -1) throw invalid('the multipart form ends before its closing boundary');
    const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1] ?? '';
    const name = parameter(disposition, 'name');
    const fileName = parameter(disposition, 'filename');
    if (name !== undefined && !fields.has(name))
      fields.set(name, {
        data: body.subarray(headersEnd + 4, end),
        ...(fileName ? { fileName: fileName.replace(/^.*[/\\]/, '') } : {}),
      });
    at = end + delimiter.length;
  }
}

/** A parameter of a Content-Disposition header; quoted values have `\"` and `\\` escapes. */
function parameter(disposition: string, key: string): string | undefined {
  const match = new RegExp(`;\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i').exec(
    disposition,
  );
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2];
}
