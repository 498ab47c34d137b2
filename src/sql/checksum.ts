/**
 * Checksums of step definitions. Stable JSON (sorted keys) of the kind, the options and any extra
 * fingerprint (SQL file contents); a function counts by its source text.
 */
import { createHash } from 'node:crypto';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with sorted keys; functions become their source text. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(normalize(value));
}

function normalize(v: unknown): unknown {
  if (typeof v === 'function') return `fn:${v.toString()}`;
  if (v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = normalize(x);
    }
    return out;
  }
  return v;
}

/**
 * What a step's checksum covers, as plain JSON: its kind, its options but `title` (presentation),
 * and the fingerprint. The ledger keeps it with the checksum, so drift can name what changed.
 */
export function stepDefinition(
  kind: string,
  options: Record<string, unknown>,
  fingerprint?: unknown,
): { kind: string; options: unknown; fingerprint: unknown } {
  const { title: _title, ...rest } = options;
  return normalize({ kind, options: rest, fingerprint: fingerprint ?? null }) as {
    kind: string;
    options: unknown;
    fingerprint: unknown;
  };
}

/** The checksum of one step. `title` is presentation and does not count. */
export function stepChecksum(kind: string, options: Record<string, unknown>, fingerprint?: unknown): string {
  return sha256(JSON.stringify(stepDefinition(kind, options, fingerprint)));
}
