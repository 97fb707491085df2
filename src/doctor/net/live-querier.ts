import type { RecordType } from 'dns-packet';
import { type DnsResult, type DnsTransport, queryDns } from './dns-query.ts';

export interface LiveQuerier {
  /** Asks host:port once per (name, type, transport); later callers share the answer. */
  ask(
    host: string,
    port: number,
    name: string,
    type: RecordType,
    transport: DnsTransport,
  ): Promise<DnsResult>;
  /** How many queries went out on the wire. */
  readonly sent: number;
}

export interface LiveQuerierOptions {
  timeoutMs: number;
  /** Queries in flight at once; keeps a large Corefile from flooding a resolver. */
  concurrency?: number;
  /** Hard cap on queries per run, so no input can make the doctor send without end. */
  maxQueries?: number;
}

export function createLiveQuerier(options: LiveQuerierOptions): LiveQuerier {
  const concurrency = options.concurrency ?? 16;
  const maxQueries = options.maxQueries ?? 2000;
  const memo = new Map<string, Promise<DnsResult>>();
  const waiting: Array<() => void> = [];
  let active = 0;
  let sent = 0;

  const acquire = async () => {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
  };
  const release = () => {
    active--;
    waiting.shift()?.();
  };

  return {
    get sent() {
      return sent;
    },
    ask(host, port, name, type, transport) {
      const key = `${host}|${port}|${name.toLowerCase()}|${type}|${transport}`;
      const known = memo.get(key);
      if (known) return known;
      const pending = (async (): Promise<DnsResult> => {
        if (sent >= maxQueries) {
          return {
            status: 'error',
            answers: [],
            latencyMs: 0,
            error: `not sent: more than ${maxQueries} queries`,
          };
        }
        sent++;
        await acquire();
        try {
          return await queryDns({
            host,
            port,
            name,
            type,
            transport,
            timeoutMs: options.timeoutMs,
          });
        } finally {
          release();
        }
      })();
      memo.set(key, pending);
      return pending;
    },
  };
}

/** A short, comparable description of a result: `NOERROR A 10.0.0.9` or `timeout`. */
export function describeResult(result: DnsResult): string {
  if (result.status === 'timeout') return 'no answer (timeout)';
  if (result.status === 'error') return `no answer (${result.error ?? 'error'})`;
  const answers = result.answers.length > 0 ? ` ${[...result.answers].sort().join(', ')}` : '';
  return `${result.rcode ?? 'NOERROR'}${answers}`;
}
