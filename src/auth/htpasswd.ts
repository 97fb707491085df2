/** Where a malformed htpasswd line is, without ever quoting its hash. */
export class HtpasswdError extends Error {}

const bcryptHash = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

/**
 * Users and their bcrypt hashes from an htpasswd file as `htpasswd -B` writes it. Other hash
 * kinds (MD5 `$apr1$`, SHA1 `{SHA}`, crypt, plain) are refused rather than silently never
 * matching: the operator learns at start which line to re-create with `-B`.
 */
export function parseHtpasswd(text: string): Map<string, string> {
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `line ${i + 1}`;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HtpasswdError(`${where}: expected user:hash`);
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (/\s/.test(user)) throw new HtpasswdError(`${where}: a user name has no spaces`);
    if (!bcryptHash.test(hash))
      throw new HtpasswdError(
        `${where} (user ${user}): not a bcrypt hash; create the entry with htpasswd -B`,
      );
    if (users.has(user)) throw new HtpasswdError(`${where}: user ${user} appears twice`);
    users.set(user, hash);
  });
  return users;
}
