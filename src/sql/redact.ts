/**
 * Password redaction. Connection strings and anything that might contain them pass through here
 * before they reach output, logs, reports or the ledger.
 */

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`; `password=secret` → `password=***`. */
export function redactUrl(url: string): string {
  return redactText(url);
}

const URL_PASSWORD = /(postgres(?:ql)?:\/\/[^:/@\s]*:)([^@\s]*)(@)/gi;
const KV_PASSWORD = /(\bpassword\s*=\s*)('[^']*'|"[^"]*"|[^\s&]+)/gi;
const SQL_PASSWORD = /(\bpassword\s+)('(?:[^']|'')*')/gi;

/** Remove passwords from any text: URLs, `password=` pairs, and `PASSWORD '…'` in SQL. */
export function redactText(text: string, secrets: readonly string[] = knownSecrets): string {
  let out = text.replace(URL_PASSWORD, '$1***$3').replace(KV_PASSWORD, '$1***').replace(SQL_PASSWORD, "$1'***'");
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('***');
  return out;
}

/**
 * JSON of `value` with every string in it redacted — never the JSON text as a whole: a `password=`
 * pair runs to the next whitespace, which JSON text lacks, so redacting the text could eat the
 * closing quote and the rest of the document.
 */
export function redactedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? redactText(v) : v));
}

const knownSecrets: string[] = [];

/** Remember a secret (a connection password) so {@link redactText} removes it wherever it appears. */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 3 && !knownSecrets.includes(secret)) {
    knownSecrets.push(secret);
    try {
      const enc = encodeURIComponent(secret);
      if (enc !== secret) knownSecrets.push(enc);
    } catch {
      /* not encodable: the raw form is enough */
    }
  }
}

/** The password of a connection string, if it has one. */
export function passwordOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.password ? decodeURIComponent(u.password) : undefined;
  } catch {
    return undefined;
  }
}
