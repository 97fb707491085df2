import { createServer } from 'node:net';

const handedOut = new Set<number>();

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, for peers that cannot report an
 * OS-picked port back. Another process may still take it before the peer binds: start
 * such peers through `withFreePort` so a clash is retried.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(port));
      });
    });
    // The kernel may hand the same port out twice in a row; give each caller its own.
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** Starts a peer on a free port, trying another port when the chosen one was taken meanwhile. */
export async function withFreePort<T>(
  start: (port: number) => Promise<T>,
  attempts = 3,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (error) {
      const clash = /address already in use|EADDRINUSE/i.test(String(error));
      if (!clash || attempt >= attempts) throw error;
    }
  }
}
