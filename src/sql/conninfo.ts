/**
 * Connection strings, read the way the driver reads them. A URL goes through `pg-connection-string`
 * — node-postgres's own parser — so the password found here is the one `pg` sends, however the URL
 * is written (a raw `@` or `:` in it, `%`-encoding, `?password=`). A libpq keyword/value string
 * (`host=… dbname=… password='…'`), which node-postgres cannot read, is parsed with libpq's rules
 * and turned into the same options. Anything else is refused before a connection is tried: node-
 * postgres would read `garbage` as a database on the host "base" and ask DNS for it
 * (docs/cli.md, "Where the database comes from").
 */
import { parse } from 'pg-connection-string';

/** A connection string that names no database Tidemark could mean. The message never quotes the input. */
export class ConnectionStringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionStringError';
  }
}

/** One example of each accepted form, for error messages. */
export const CONNECTION_STRING_EXAMPLES =
  'postgres://user@localhost:5432/mydb, or host=localhost port=5432 dbname=mydb user=me';

/** What a connection string says: node-postgres options plus where its password was written. */
export interface ConnInfo {
  form: 'url' | 'keyword';
  /** The options node-postgres reads (as `pg-connection-string` returns them); `password` is the one it would send. */
  options: Record<string, unknown> & { password?: string };
  /** [start, end) of each stretch of the input that spells a password, as written. */
  passwordSpans: Array<[number, number]>;
}

const URL_SCHEME = /^(postgres|postgresql):\/\//i;
const KEYWORD_START = /^\s*[A-Za-z_]+\s*=/;
/** libpq's connection keywords (libpq "Parameter Key Words"); an unknown one is refused, as libpq does. */
const KEYWORDS = new Set([
  'host',
  'hostaddr',
  'port',
  'dbname',
  'user',
  'password',
  'passfile',
  'require_auth',
  'channel_binding',
  'connect_timeout',
  'client_encoding',
  'options',
  'application_name',
  'fallback_application_name',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'replication',
  'gssencmode',
  'sslmode',
  'requiressl',
  'sslnegotiation',
  'sslcompression',
  'sslcert',
  'sslkey',
  'sslpassword',
  'sslcertmode',
  'sslrootcert',
  'sslcrl',
  'sslcrldir',
  'sslsni',
  'requirepeer',
  'ssl_min_protocol_version',
  'ssl_max_protocol_version',
  'krbsrvname',
  'gsslib',
  'gssdelegation',
  'service',
  'target_session_attrs',
  'load_balance_hosts',
]);
/** Keywords whose values are secrets. */
const SECRET_KEYWORDS = new Set(['password', 'sslpassword']);

/** Parse a connection string or throw {@link ConnectionStringError}. */
export function parseConnectionString(text: string): ConnInfo {
  if (URL_SCHEME.test(text)) return parseUrl(text);
  if (KEYWORD_START.test(text)) return parseKeywords(text);
  throw new ConnectionStringError(
    text.trim() === ''
      ? 'the connection string is empty'
      : 'not a PostgreSQL connection string (neither a postgres:// URL nor keyword=value pairs)',
  );
}

function parseUrl(text: string): ConnInfo {
  // The authority runs to the first `/`, `?` or `#` after `//`; its user info to the last `@` in it
  // (the WHATWG URL rules `pg-connection-string` relies on): a raw `@` belongs to the password.
  const start = text.indexOf('//') + 2;
  const rest = text.slice(start);
  const end = start + (rest.search(/[/?#]/) < 0 ? rest.length : rest.search(/[/?#]/));
  const at = text.lastIndexOf('@', end - 1);
  const spans: Array<[number, number]> = [];
  if (at >= start) {
    const colon = text.indexOf(':', start);
    if (colon >= 0 && colon < at) spans.push([colon + 1, at]);
  }
  const tail = text.slice(end);
  if (tail.includes('@') || tail.includes('#')) {
    throw new ConnectionStringError(
      'the URL has an "@" or "#" after its host: a password holding "/", "?" or "#" must be percent-encoded (%2F, %3F, %23)',
    );
  }
  for (const m of text.slice(end).matchAll(/[?&](?:ssl)?password=([^&]*)/gi)) {
    const s = end + (m.index ?? 0) + m[0].length - m[1].length;
    spans.push([s, s + m[1].length]);
  }
  let options: ConnInfo['options'];
  try {
    options = parse(text) as ConnInfo['options'];
  } catch (e) {
    if (typeof (e as { code?: unknown }).code === 'string' && (e as { syscall?: unknown }).syscall)
      throw new ConnectionStringError('cannot read a file the URL names (sslcert, sslkey or sslrootcert)');
    // The driver's own error quotes parts of the input; say what is wrong without it.
    throw new ConnectionStringError(
      'the URL cannot be parsed: percent-encode "@", ":", "/", "?", "#" and "%" inside the user name and password',
    );
  }
  return { form: 'url', options, passwordSpans: spans };
}

interface KeywordPair {
  key: string;
  value: string;
  span: [number, number];
}

/** libpq's conninfo grammar: `key = value`, a value unquoted (to whitespace) or in single quotes; `\` escapes. */
function keywordPairs(text: string): KeywordPair[] {
  const pairs: KeywordPair[] = [];
  let i = 0;
  const ws = (c: string | undefined) => c !== undefined && /\s/.test(c);
  while (i < text.length) {
    while (ws(text[i])) i++;
    if (i >= text.length) break;
    const k0 = i;
    while (i < text.length && text[i] !== '=' && !ws(text[i])) i++;
    const key = text.slice(k0, i);
    while (ws(text[i])) i++;
    if (text[i] !== '=' || key === '')
      throw new ConnectionStringError(`missing "=" after "${key.slice(0, 40)}" in the keyword=value string`);
    i++;
    while (ws(text[i])) i++;
    const v0 = i;
    let value = '';
    if (text[i] === "'") {
      i++;
      for (;;) {
        if (i >= text.length) throw new ConnectionStringError(`unterminated quoted value for "${key}"`);
        if (text[i] === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
        } else if (text[i] === "'") {
          i++;
          break;
        } else value += text[i++];
      }
    } else {
      while (i < text.length && !ws(text[i])) {
        if (text[i] === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
        } else value += text[i++];
      }
    }
    pairs.push({ key: key.toLowerCase(), value, span: [v0, i] });
  }
  return pairs;
}

function parseKeywords(text: string): ConnInfo {
  const pairs = keywordPairs(text);
  const unknown = pairs.filter((p) => !KEYWORDS.has(p.key)).map((p) => `"${p.key.slice(0, 40)}"`);
  if (unknown.length) throw new ConnectionStringError(`unknown connection keyword ${unknown.join(', ')}`);
  const last = new Map(pairs.map((p) => [p.key, p.value]));
  // The rest goes through the driver's parser as URL parameters, so sslmode and the like mean what
  // they mean to node-postgres; the database name is set afterwards (the parser would decode a path).
  const query = new URLSearchParams();
  for (const [k, v] of last) {
    if (k === 'dbname' || k === 'password') continue;
    query.set(k === 'hostaddr' ? 'host' : k, v);
  }
  const options = parse(`postgres://?${query}`) as ConnInfo['options'];
  options.database = last.get('dbname') ?? null;
  options.password = last.get('password') ?? '';
  return {
    form: 'keyword',
    options,
    passwordSpans: pairs.filter((p) => SECRET_KEYWORDS.has(p.key)).map((p) => p.span),
  };
}
