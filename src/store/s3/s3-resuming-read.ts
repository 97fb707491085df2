import { Readable } from 'node:stream';
import { classifyFault } from '../../resilience/fault-taxonomy.ts';
import { translateS3Error } from './s3-errors.ts';

/** Times a broken body is picked up again from where it stopped. */
const maxResumes = 3;

/**
 * A blob body that survives a reset or a stall mid-transfer: the rest is asked for again
 * with a range from the first byte not yet delivered, so the reader sees every byte once, in
 * order, and never a wrong one. Blobs are immutable, so the resumed range is the same data.
 */
export function resumingRead(
  first: Readable,
  { start, end }: { start: number; end: number },
  reopen: (from: number) => Promise<Readable>,
): Readable {
  async function* bytes() {
    let body = first;
    let offset = start;
    for (let resumes = 0; ; resumes++) {
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          offset += chunk.length;
          yield chunk;
        }
        if (offset > end) return;
        throw Object.assign(new Error(`body ended at byte ${offset} of ${end + 1}`), {
          code: 'ERR_STREAM_PREMATURE_CLOSE',
        });
      } catch (error) {
        body.destroy();
        const translated = translateS3Error(error, 'GET', 'blob');
        if (resumes >= maxResumes || !classifyFault(translated).transient) throw translated;
        body = await reopen(offset);
      }
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}
