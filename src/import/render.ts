/**
 * The plan file an import writes: readable TypeScript, one builder call per step, each raw `sql`
 * step under a comment saying why no operation took it, and the ORM records the plan covers.
 */
import type { ImportPhase, MigrationRecord } from './model.js';
import type { PlacedStep } from './order.js';

/** What the plan file says. */
export interface PlanText {
  id: string;
  title: string;
  /** One line on where it came from. */
  origin: string;
  phases: Record<ImportPhase, PlacedStep[]>;
  records: MigrationRecord[];
  /** Lines for the plan's header comment (Prisma's warnings, notes). */
  notes: string[];
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** A single-quoted JavaScript string (SQL is full of double quotes). */
function quote(s: string): string {
  return `'${s
    .replace(/\\/g, '\\\\')
    .replace(/'/g, "\\'")
    .replace(/\r/g, '\\r')
    .replace(/\u2028|\u2029/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`)}'`;
}

/** A JavaScript literal for `v`, indented for its place; multi-line SQL as a template literal. */
export function literal(v: unknown, indent: string): string {
  if (typeof v === 'string') {
    if (!v.includes('\n')) return quote(v);
    return `\`${v.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${')}\``;
  }
  if (Array.isArray(v)) {
    const items = v.map((x) => literal(x, `${indent}  `));
    const one = `[${items.join(', ')}]`;
    return one.length < 90 && !one.includes('\n')
      ? one
      : `[\n${items.map((x) => `${indent}  ${x},`).join('\n')}\n${indent}]`;
  }
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    const parts = entries.map(([k, x]) => `${IDENT.test(k) ? k : quote(k)}: ${literal(x, `${indent}  `)}`);
    const one = `{ ${parts.join(', ')} }`;
    return one.length < 100 && !one.includes('\n')
      ? one
      : `{\n${parts.map((p) => `${indent}  ${p},`).join('\n')}\n${indent}}`;
  }
  return JSON.stringify(v);
}

/** Line comments for `text`, wrapped near 100 columns. */
function comment(text: string, indent: string): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/)) {
    if (line && line.length + w.length + 1 > 96 - indent.length) {
      out.push(`${indent}// ${line}`);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(`${indent}// ${line}`);
  return out;
}

/** Unique kebab-case step ids from the steps' hints. */
function assignIds(steps: PlacedStep[]): Map<PlacedStep, string> {
  const seen = new Map<string, number>();
  const ids = new Map<PlacedStep, string>();
  for (const s of steps) {
    const base = s.idHint.slice(0, 60).replace(/-+$/, '') || 'step';
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    ids.set(s, n === 1 ? base : `${base}-${n}`);
  }
  return ids;
}

/** The plan file's text. */
export function renderPlan(p: PlanText): string {
  const all = [...p.phases.expand, ...p.phases.backfill, ...p.phases.validate, ...p.phases.contract];
  const ids = assignIds(all);
  const builders = new Set(['definePlan']);
  for (const s of all) builders.add(s.builder.split('.')[0]);
  const order = ['definePlan', 'sql', 'op', 'backfill', 'check'];
  const imports = order.filter((b) => builders.has(b));
  const lines: string[] = [];
  lines.push(...comment(p.origin, ''));
  for (const n of p.notes) lines.push(...comment(n, ''));
  lines.push(`import { ${imports.join(', ')} } from 'tidemark';`, '', 'export default definePlan({');
  lines.push(`  id: ${quote(p.id)},`, `  title: ${quote(p.title)},`);
  if (p.records.length) {
    const recs = p.records.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
    lines.push("  // The ORM migrations this plan applies: Tidemark records them in the ORM's own history.");
    lines.push(`  records: ${literal(recs, '  ')},`);
  }
  for (const phase of ['expand', 'backfill', 'validate', 'contract'] as const) {
    const steps = p.phases[phase];
    if (!steps.length) continue;
    lines.push(`  ${phase}: [`);
    for (const s of steps) {
      const why = [s.comment, s.note].filter(Boolean).join(' — ');
      if (why) lines.push(...comment(`${s.builder === 'sql' ? 'kept as SQL: ' : ''}${why}`, '    '));
      const opts = literal({ id: ids.get(s), ...s.options }, '    ');
      lines.push(`    ${s.builder}(${opts}),`);
    }
    lines.push('  ],');
  }
  lines.push('});', '');
  return lines.join('\n');
}
