import { gzipSync } from 'node:zlib';
import { type Header, pack } from 'tar-stream';

/** One tar entry as a test writes it: any header field (type, linkname, mode) and a body. */
export type TarEntry = Partial<Header> & { name: string; body?: string | Buffer };

/** A plain (uncompressed) tar of these entries, in order, exactly as given. */
export async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  const tar = pack();
  // Read while writing: the pack stream holds back entries until its output is taken.
  const chunks: Buffer[] = [];
  const reading = (async () => {
    for await (const chunk of tar) chunks.push(chunk as Buffer);
  })();
  for (const { body, ...header } of entries) {
    await new Promise<void>((resolve, reject) =>
      tar.entry(header, body ?? '', (error) => (error ? reject(error) : resolve())),
    );
  }
  tar.finalize();
  await reading;
  return Buffer.concat(chunks);
}

/** A gzip'd tar of these entries: a chart archive, or a hostile one. */
export async function tgzOf(entries: readonly TarEntry[]): Promise<Buffer> {
  return gzipSync(await tarOf(entries));
}
