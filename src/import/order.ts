/**
 * Where each imported step runs. A step's own phase is where its kind belongs (additive → expand,
 * fills → backfill, NOT NULL and drops → contract); a constraint on rows that already exist moves to
 * contract, unless the plan itself creates what it constrains. Then dependencies: a step that needs
 * (or re-creates) an object a step of a later phase creates or drops moves to that phase, so
 * `DROP COLUMN a; ADD COLUMN a …` still runs in that order. Each `op.setNotNull` gets its proof,
 * a `check.noNulls` in validate. Within a phase, steps keep the
 * migrations' order. See docs/import.md, "Phases and order".
 */
import type { ImportedStep, ImportPhase } from './model.js';

const RANK: Record<ImportPhase, number> = { expand: 0, backfill: 1, validate: 2, contract: 3 };
const PHASES: ImportPhase[] = ['expand', 'backfill', 'validate', 'contract'];

/** A step with its final phase, and why it moved when it did. */
export interface PlacedStep extends ImportedStep {
  note?: string;
}

/** Place the steps (in source order) into phases; returns them grouped by phase, in order. */
export function placeSteps(steps: ImportedStep[]): Record<ImportPhase, PlacedStep[]> {
  const created = new Map<string, number>();
  const made = new Set<string>();
  const placed: PlacedStep[] = [];
  for (const s of steps) {
    let rank = RANK[s.phase];
    if (s.constrains?.length && !s.constrains.every((k) => made.has(k) || made.has(tableOf(k))))
      rank = Math.max(rank, RANK.contract);
    for (const k of [...(s.uses ?? []), ...(s.creates ?? [])]) rank = Math.max(rank, created.get(k) ?? 0);
    let phase = PHASES[rank];
    let note: string | undefined;
    if (s.builder === 'backfill.update' && phase === 'contract') {
      // Its column is added in contract (after a drop of the same name), with the default: nothing to fill.
      continue;
    }
    if ((phase === 'backfill' && s.builder !== 'backfill.update' && s.builder !== 'sql') || phase === 'validate')
      phase = 'contract';
    if (RANK[phase] > RANK[s.phase] && !s.constrains?.length)
      note = `in ${phase}: it needs what an earlier ${phase} step creates or drops`;
    for (const k of [...(s.creates ?? []), ...(s.drops ?? [])])
      created.set(k, Math.max(created.get(k) ?? 0, RANK[phase]));
    for (const k of s.creates ?? []) made.add(k);
    placed.push({ ...s, phase, ...(note ? { note } : {}) });
  }
  const out: Record<ImportPhase, PlacedStep[]> = { expand: [], backfill: [], validate: [], contract: [] };
  for (const s of placed) out[s.phase].push(s);
  // The proof a NOT NULL needs: no NULL left, checked in validate before contract sets it.
  for (const s of out.contract)
    if (s.builder === 'op.setNotNull')
      out.validate.push({
        builder: 'check.noNulls',
        idHint: s.idHint.replace(/^not-null/, 'no-nulls'),
        phase: 'validate',
        options: { table: s.options.table, column: s.options.column },
      });
  return out;
}

/** `column:public.t.c` → `table:public.t`. */
function tableOf(k: string): string {
  if (!k.startsWith('column:')) return k;
  const rest = k.slice('column:'.length);
  return `table:${rest.slice(0, rest.lastIndexOf('.'))}`;
}
