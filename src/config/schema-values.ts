import { z } from 'zod';
import { parseOciUpstreamUrl } from '../oci/oci-reference.ts';
import { parseDuration, parseRatio, parseSize } from './units.ts';

// The value types of the config schema (schema.ts): durations, sizes, URLs, names.

function human(parse: (v: string | number) => number | undefined, expected: string) {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    const parsed = parse(value);
    if (parsed === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `expected ${expected}, got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    return parsed;
  });
}

export const duration = human(parseDuration, 'a duration such as 30s, 5m or 24h');
/** A wait that must end: 0 would fail every request at once (or, for some clients, never). */
export const positiveDuration = duration.refine(
  (ms) => ms > 0,
  'expected a duration greater than 0',
);
export const size = human(parseSize, 'a size such as 512KiB or 64MiB');
export const ratio = human(parseRatio, 'a percentage such as 10% or a fraction between 0 and 1');

export const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/, 'expected host:port')
  .refine(
    (value) => Number(value.slice(value.lastIndexOf(':') + 1)) <= 65535,
    'expected a port from 0 to 65535',
  );

export const repoName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,62}$/,
    'expected lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
  )
  .refine((name) => !['v2', 'api', 'files', 'metrics'].includes(name), 'is a reserved path');

/** Credentials in a URL would sit in plain text in the config and in every log line. */
export const withoutUserInfo = (value: string) => {
  if (!URL.canParse(value)) return true; // reported by the URL check itself
  const url = new URL(value);
  return url.username === '' && url.password === '';
};
export const userInfoMessage =
  'credentials in the URL are not used: give them as auth: { username, password: { env: NAME } } or auth: { token: { file: PATH } }';

export const upstreamUrl = z
  .string()
  .refine((value) => URL.canParse(value) && /^(https?|oci):$/.test(new URL(value).protocol), {
    message: 'expected an http://, https:// (classic repository) or oci:// (registry) URL',
  })
  .refine(withoutUserInfo, userInfoMessage)
  .superRefine((value, ctx) => {
    // What serve would refuse at start: a registry or namespace outside the OCI grammar.
    if (!value.startsWith('oci:')) return;
    try {
      parseOciUpstreamUrl(value);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `expected oci://registry/namespace: ${(error as Error).message}`,
      });
    }
  });

/** Host patterns (`charts.example.com`, `*.example.com`) an upstream's requests may also go to. */
export const hostPatterns = z
  .array(
    z
      .string()
      .regex(/^(\*\.)?([A-Za-z0-9.-]+|\[[0-9a-fA-F:.]+\])$/, 'expected a host name or *.domain'),
  )
  .default([]);

export const httpUrl = z
  .string()
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    message: 'expected an http:// or https:// URL',
  });

/** A user (htpasswd) or token name, as `access` lists them. */
export const principalName = z
  .string()
  .regex(/^[^:\s]{1,128}$/, 'expected a user or token name (no ":" or spaces)');
