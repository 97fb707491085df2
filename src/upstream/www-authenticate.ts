/** One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1). */
export interface AuthChallenge {
  /** Lowercased: `bearer`, `basic`… */
  scheme: string;
  /** Parameter names lowercased, values unquoted. */
  params: Record<string, string>;
}

const tokenChars = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/**
 * Parses a `WWW-Authenticate` value into its challenges, e.g. `Bearer realm="…",service="…",
 * scope="repository:ns/chart:pull"` or `Basic realm="Registry"`. Quoted values may hold
 * commas (scopes do); malformed parts end the parse with what was read so far, because a
 * challenge we cannot read is one we cannot answer anyway.
 */
export function parseWwwAuthenticate(header: string | undefined): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  if (!header) return challenges;
  const text = header.slice(0, 8192);
  let i = 0;
  let current: AuthChallenge | undefined;

  const skipSpaces = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < text.length && tokenChars.test(text[i] as string)) i++;
    return text.slice(start, i);
  };
  // Unquoted values should be tokens; some servers send bare URLs, so read up to a separator.
  const readBare = () => {
    const start = i;
    while (i < text.length && !/[\s,]/.test(text[i] as string)) i++;
    return text.slice(start, i);
  };
  const readQuoted = () => {
    let value = '';
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\' && i + 1 < text.length) i++;
      value += text[i];
      i++;
    }
    i++; // closing quote
    return value;
  };

  while (i < text.length) {
    skipSpaces();
    if (text[i] === ',') {
      i++;
      continue;
    }
    const token = readToken();
    if (token === '') break;
    skipSpaces();
    if (text[i] === '=' && current) {
      i++;
      skipSpaces();
      const value = text[i] === '"' ? readQuoted() : readBare();
      current.params[token.toLowerCase()] = value;
      continue;
    }
    // A token not followed by `=` starts a new challenge (token68 forms are not used here).
    current = { scheme: token.toLowerCase(), params: {} };
    challenges.push(current);
  }
  return challenges;
}
