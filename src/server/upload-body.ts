import type { Readable } from 'node:stream';
import { Busboy, type BusboyInstance } from '@fastify/busboy';
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
const maxPartHeaders = 16;
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
 * The parts of a `multipart/form-data` body (RFC 7578) by field name, each part's bytes as
 * sent (the first of a name wins). A truncated form is refused, never half-read.
 */
export function parseMultipartForm(
  body: Buffer,
  contentType: string,
): Promise<Map<string, FormFile>> {
  return new Promise((resolve, reject) => {
    const fields = new Map<string, FormFile>();
    const fail = (reason: string) => reject(invalid(reason));
    let parser: BusboyInstance;
    try {
      parser = Busboy({
        headers: { 'content-type': contentType },
        // Every part is read as bytes: a chart sent without a filename is still binary.
        isPartAFile: () => true,
        limits: { parts: maxParts, headerPairs: maxPartHeaders, fileSize: body.length },
      });
    } catch (error) {
      fail(`the multipart content type is unusable: ${(error as Error).message}`);
      return;
    }
    parser.on('file', (name: string, stream: Readable, fileName: string | undefined) => {
      const chunks: Buffer[] = [];
      stream.on('error', (error: Error) =>
        fail(`the multipart form is malformed: ${error.message}`),
      );
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (fields.has(name)) return;
        fields.set(name, {
          data: Buffer.concat(chunks),
          ...(fileName ? { fileName: fileName.replace(/^.*[/\\]/, '') } : {}),
        });
      });
    });
    parser.on('partsLimit', () => fail(`the multipart form has more than ${maxParts} parts`));
    parser.on('error', (error: unknown) =>
      fail(`the multipart form is malformed: ${(error as Error).message}`),
    );
    parser.on('finish', () => resolve(fields));
    parser.end(body);
  });
}
