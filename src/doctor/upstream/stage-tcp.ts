import { connect, isIPv6 } from 'node:net';
import { type Finding, finding } from '../findings.ts';
import type { StageResult } from './stage-result.ts';
import { statusOf } from './stage-result.ts';

/** More addresses than this are not tried: the point is the stage, not a port scan. */
const maxAddresses = 4;

export interface TcpAttempt {
  address: string;
  ok: boolean;
  ms: number;
  problem?: string;
}

export async function tcpStage(
  addresses: readonly string[],
  port: number,
  timeoutMs: number,
): Promise<Omit<StageResult, 'durationMs'> & { connected?: string }> {
  const tried = addresses.slice(0, maxAddresses);
  const attempts = await Promise.all(tried.map((address) => tryConnect(address, port, timeoutMs)));
  const details = attempts.map(
    (a) => `${bracket(a.address)}:${port} ${a.ok ? `connected in ${a.ms} ms` : a.problem}`,
  );
  const working = attempts.filter((a) => a.ok);
  const findings: Finding[] = [];
  let meaning: string | undefined;
  if (working.length === 0) {
    const first = attempts[0];
    findings.push(
      finding(
        'upstream-tcp-failed',
        `no address accepts a connection on port ${port}: ${details.join('; ')}`,
      ),
    );
    meaning = first?.problem?.includes('refused')
      ? 'nothing listens on that port: the service is down or the port is wrong'
      : 'connection attempts go unanswered: a firewall drops them or the host is down';
  } else {
    // Clients fall back between IPv6 and IPv4, so only a dead address of a family that works elsewhere matters.
    const workingFamilies = new Set(working.map((a) => isIPv6(a.address)));
    for (const failed of attempts.filter((a) => !a.ok && workingFamilies.has(isIPv6(a.address)))) {
      findings.push(
        finding(
          'upstream-tcp-partial',
          `${bracket(failed.address)}:${port} ${failed.problem} while ${working[0]?.address} accepts`,
        ),
      );
    }
  }
  const result = {
    stage: 'tcp' as const,
    status: statusOf(findings),
    summary: working[0]
      ? `connected to ${bracket(working[0].address)}:${port} in ${working[0].ms} ms`
      : `no connection on port ${port}`,
    details,
    findings,
    connected: working[0]?.address,
  };
  return meaning ? { ...result, meaning } : result;
}

function tryConnect(address: string, port: number, timeoutMs: number): Promise<TcpAttempt> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ host: address, port });
    const done = (ok: boolean, problem?: string) => {
      clearTimeout(timer);
      socket.destroy();
      const attempt: TcpAttempt = { address, ok, ms: Math.round(performance.now() - started) };
      if (problem) attempt.problem = problem;
      resolve(attempt);
    };
    const timer = setTimeout(() => done(false, `no answer within ${timeoutMs} ms`), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const code = error.code;
      done(
        false,
        code === 'ECONNREFUSED'
          ? 'connection refused'
          : code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
            ? 'no route to host'
            : (code ?? error.message),
      );
    });
  });
}

export function bracket(address: string): string {
  return isIPv6(address) ? `[${address}]` : address;
}
