/**
 * What changed in a step's definition since it was applied: the fields of its options (and the
 * contents its checksum covers, e.g. a `sqlFile`'s files) that differ between the definition the
 * ledger kept and the plan's, one line each (docs/plans.md, "Checksums and drift").
 */

/** At most this many changed fields are listed per step. */
const MAX_CHANGES = 12;
/** Values are shown up to this many characters. */
const MAX_VALUE = 70;

/** One line per changed field: `set.email: "lower(email)" → "lower(trim(email))"`. */
export function definitionChanges(applied: unknown, planned: unknown): string[] {
  const before = flatten(applied);
  const after = flatten(planned);
  const keys = [...new Set([...before.keys(), ...after.keys()])];
  const lines: string[] = [];
  for (const k of keys) {
    const a = before.get(k);
    const b = after.get(k);
    if (a === b) continue;
    const name = label(k);
    if (a === undefined) lines.push(`${name}: added, ${show(b!)}`);
    else if (b === undefined) lines.push(`${name}: removed (was ${show(a)})`);
    else lines.push(`${name}: ${show(a)} → ${show(b)}`);
  }
  if (lines.length > MAX_CHANGES)
    return [...lines.slice(0, MAX_CHANGES), `… and ${lines.length - MAX_CHANGES} more field(s)`];
  return lines;
}

/** Leaf path → its JSON text. */
function flatten(v: unknown, path = '', out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(v) && v.length) for (const [i, x] of v.entries()) flatten(x, `${path}[${i}]`, out);
  else if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length)
    for (const [k, x] of Object.entries(v)) flatten(x, path ? `${path}.${k}` : k, out);
  else out.set(path, JSON.stringify(v ?? null));
  return out;
}

/** `options.set.email` → `set.email`; `fingerprint.up[0]` → `the contents of up[0]`. */
function label(path: string): string {
  if (path.startsWith('options.')) return path.slice('options.'.length);
  if (path.startsWith('fingerprint.')) return `the contents of ${path.slice('fingerprint.'.length)}`;
  if (path === 'fingerprint') return 'the contents it covers';
  return path;
}

function show(json: string): string {
  const s = json.replace(/\s+/g, ' ');
  return s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s;
}
