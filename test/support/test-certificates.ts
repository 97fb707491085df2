import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireExecutable } from './debian-peers.ts';

/**
 * Certificates made for the test with the openssl command (Debian's openssl): a CA, leaves it
 * signed (valid, expiring, expired, for another name) and a self-signed leaf. `-days -1`
 * gives a certificate whose notAfter is already past.
 */
export function makeCertificates(dir: string) {
  const openssl = requireExecutable('/usr/bin/openssl', 'openssl');
  const run = (...args: string[]) => execFileSync(openssl, args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '30',
    '-subj',
    '/CN=Ballast Test CA',
  );
  const leaf = (name: string, days: string, names: string) => {
    run(
      'req',
      '-new',
      ...ec,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    );
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${names}\n`);
    run(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      days,
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    );
  };
  leaf('valid', '30', 'DNS:repo.test,DNS:localhost,IP:127.0.0.1');
  leaf('expiring', '3', 'DNS:repo.test,IP:127.0.0.1');
  leaf('expired', '-1', 'DNS:repo.test,IP:127.0.0.1');
  leaf('other', '30', 'DNS:other.test');
  run(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'self.key',
    '-out',
    'self.pem',
    '-days',
    '30',
    '-subj',
    '/CN=repo.test',
    '-addext',
    'subjectAltName=DNS:repo.test,IP:127.0.0.1',
  );
  const pair = (name: string) => ({
    key: readFileSync(join(dir, `${name}.key`)),
    cert: readFileSync(join(dir, `${name}.pem`)),
  });
  return {
    ca: join(dir, 'ca.pem'),
    valid: pair('valid'),
    expiring: pair('expiring'),
    expired: pair('expired'),
    other: pair('other'),
    self: pair('self'),
  };
}
