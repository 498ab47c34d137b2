/**
 * Password redaction. Connection strings and anything that might contain them pass through here
 * before they reach output, logs, reports or the ledger. A connection string is read the way the
 * driver reads it ({@link parseConnectionString}), so what is hidden is exactly the password it
 * sends; every password Tidemark connects with is also registered and removed from any text
 * (docs/cli.md, "Passwords").
 */
import { ConnectionStringError, parseConnectionString } from './conninfo.js';

/** What stands in for a password. */
const MASK = '***';

/**
 * A connection string with its passwords replaced by `***`:
 * `postgres://user:Ab@cd@host/db` → `postgres://user:***@host/db`, `password='a b'` → `password=***`.
 * A string that is not a connection string is redacted as text.
 */
export function redactUrl(url: string): string {
  let spans: Array<[number, number]>;
  try {
    spans = parseConnectionString(url).passwordSpans;
  } catch (e) {
    if (!(e instanceof ConnectionStringError)) throw e;
    return redactText(url);
  }
  let out = url;
  for (const [s, e] of [...spans].sort((a, b) => b[0] - a[0])) out = out.slice(0, s) + MASK + out.slice(e);
  return redactText(out);
}

// Fallbacks for connection strings in free text that were never registered. The password of a URL
// runs to the last `@` of its whitespace-free stretch (a raw `@` belongs to the password, as the URL
// parser reads it; hiding a little more than the password is harmless); a keyword value may be
// quoted with `\` escapes (libpq's rules).
const URL_PASSWORD = /(postgres(?:ql)?:\/\/[^:/@\s]*:)(\S*)(@)/gi;
const KV_PASSWORD = /(\b(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'?|"[^"]*"|(?:[^\s&\\]|\\.)+)/gi;
const SQL_PASSWORD = /(\bpassword\s+)('(?:[^']|'')*')/gi;

/** Remove passwords from any text: registered secrets first, then URLs, `password=` pairs, and `PASSWORD '…'` in SQL. */
export function redactText(text: string, secrets: readonly string[] = knownSecrets): string {
  let out = text;
  // Longest first, and before the patterns: a pattern that hid only part of a secret (up to an `@`
  // or `&` inside it) would leave the rest where no exact match finds it.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s.length >= 3) out = out.split(s).join(MASK);
  return out
    .replace(URL_PASSWORD, `$1${MASK}$3`)
    .replace(KV_PASSWORD, `$1${MASK}`)
    .replace(SQL_PASSWORD, `$1'${MASK}'`);
}

/**
 * JSON of `value` with every string in it redacted — never the JSON text as a whole: a `password=`
 * pair runs to the next whitespace, which JSON text lacks, so redacting the text could eat the
 * closing quote and the rest of the document.
 */
export function redactedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? redactText(v) : v));
}

/**
 * Every password this process has connected with (or started a server with), in the forms text can
 * spell it. Module state on purpose, and add-only: the passwords belong to the process, and every
 * text that leaves it must be cleaned of them wherever it is written — the CLI's error boundary,
 * an error thrown before any session exists, the ledger, a library caller's events — so the
 * registry cannot be one session's, and no path can forget to pass it (docs/cli.md, "Passwords").
 */
const knownSecrets: string[] = [];

/**
 * Remember a secret (a connection password) so {@link redactText} removes it wherever it appears,
 * in the forms it takes in text: as is, percent-encoded (as a URL writes it), and escaped as a JSON
 * string or a SQL literal would write it.
 */
export function registerSecret(secret: string | undefined): void {
  if (!secret || secret.length < 3) return;
  const forms = new Set([secret, JSON.stringify(secret).slice(1, -1), secret.replaceAll("'", "''")]);
  try {
    forms.add(encodeURIComponent(secret));
    forms.add(encodeURI(secret));
    forms.add(new URL(`postgres://u:${encodeURIComponent(secret)}@h`).password);
  } catch {
    /* not encodable (a lone surrogate): the raw forms are enough */
  }
  for (const f of forms) if (f.length >= 3 && !knownSecrets.includes(f)) knownSecrets.push(f);
}

/** Register every password a connection string spells, as the driver reads it and as it is written. */
export function registerSecretsOf(url: string): void {
  try {
    const info = parseConnectionString(url);
    registerSecret(info.options.password);
    for (const [s, e] of info.passwordSpans) registerSecret(url.slice(s, e));
  } catch (e) {
    if (!(e instanceof ConnectionStringError)) throw e;
  }
}

/** The password of a connection string as the driver reads it, if it has one. */
export function passwordOf(url: string): string | undefined {
  try {
    return parseConnectionString(url).options.password || undefined;
  } catch {
    return undefined;
  }
}
