/**
 * Plan validation: every problem at once, each naming the phase, step id and field. Nothing here
 * touches a database. A valid plan comes back resolved: phases flattened in execution order,
 * checksums computed.
 */
import { dirname } from 'node:path';
import { kebabId } from '../kind/fields.js';
import { PlanInvalidError } from '../model/errors.js';
import { PHASES, type Phase, type Plan, type PlanIssue, type PlannedStep, type StepDef } from '../model/plan.js';
import { scriptProblems } from '../raw-sql/sql-runner.js';
import { sha256, stepChecksum, stepDefinition } from '../sql/checksum.js';
import { parseRelation, type RelationName } from '../sql/ident.js';
import { ensureParser } from '../sql/parse.js';
import { resolveOrmRecords } from './orm-records.js';
import { stepKind } from './registry.js';

const PLAN_KEYS = new Set(['id', 'title', 'records', '__tidemarkPlan', ...PHASES]);

/** zod path → `columns[0].opclass`. */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/**
 * The completions Tidemark adds to the end of `contract` for steps whose kind has one (a rename
 * keeps both names until contract, then leaves only the new one: docs/steps/rename-column.md).
 */
function completions(
  steps: readonly PlannedStep[],
  seen: ReadonlyMap<string, Phase>,
  issues: PlanIssue[],
): Omit<PlannedStep, 'index'>[] {
  const out: Omit<PlannedStep, 'index'>[] = [];
  // A table the plan renames keeps a view at its old name until contract (docs/steps/rename-table.md),
  // and that view reads every column, the copy a column rename keeps too: the table completions
  // (dropping the views) go first, and a column rename's completion names the table by its new name.
  const key = (r: RelationName) => {
    const q = parseRelation(r);
    return `${q.schema ?? 'public'}.${q.name}`;
  };
  const renamed = new Map<string, RelationName>();
  for (const st of steps)
    if (st.kind === 'op.renameTable') {
      const o = st.options as unknown as { table: RelationName; to: string };
      const q = parseRelation(o.table);
      renamed.set(key(o.table), q.schema ? { schema: q.schema, name: o.to } : o.to);
    }
  const ordered = [
    ...steps.filter((st) => st.kind === 'op.renameTable'),
    ...steps.filter((st) => st.kind !== 'op.renameTable'),
  ];
  for (const st of ordered) {
    const def = stepKind(st.kind)?.completion?.(st.options);
    if (!def) continue;
    const table = (def.options as { table?: RelationName }).table;
    if (def.kind === 'op.renameColumn.complete' && table && renamed.has(key(table)))
      def.options = { ...def.options, table: renamed.get(key(table)), createdOn: table };
    const kind = stepKind(def.kind);
    const id = def.options.id;
    if (seen.has(id)) {
      issues.push({
        phase: seen.get(id),
        stepId: id,
        field: 'id',
        message: `is the id Tidemark gives the completion of step "${st.id}" (${st.kind}) in contract: choose another id`,
      });
      continue;
    }
    if (!kind) continue;
    out.push({
      phase: 'contract',
      kind: def.kind,
      id,
      title: def.options.title ?? id,
      options: def.options,
      checksum: stepChecksum(def.kind, def.options, undefined),
    });
  }
  return out;
}

/** Validate a plan definition; throws {@link PlanInvalidError} listing every problem. */
export async function validatePlan(def: unknown, file?: string): Promise<Plan> {
  // Step kinds may parse SQL fragments in validate(): the parser must be loaded first.
  await ensureParser();
  const issues: PlanIssue[] = [];
  if (!def || typeof def !== 'object') {
    throw new PlanInvalidError(
      [
        {
          message: `the plan module must export a plan (export default definePlan({ … })), got ${def === null ? 'null' : typeof def}`,
        },
      ],
      undefined,
      file,
    );
  }
  const d = def as Record<string, unknown>;
  const planId = typeof d.id === 'string' ? d.id : undefined;
  if (planId === undefined) issues.push({ field: 'id', message: 'is required (kebab-case, unique per database)' });
  else if (!kebabId.safeParse(planId).success) issues.push({ field: 'id', message: `"${planId}" must be kebab-case` });
  if (d.title !== undefined && typeof d.title !== 'string')
    issues.push({ field: 'title', message: 'must be a string' });
  for (const k of Object.keys(d))
    if (!PLAN_KEYS.has(k))
      issues.push({
        field: k,
        message: `unknown plan field; expected one of ${PHASES.join(', ')}, id, title, records`,
      });

  const dir = file ? dirname(file) : process.cwd();
  const steps: PlannedStep[] = [];
  const seen = new Map<string, Phase>();
  for (const phase of PHASES) {
    const list = d[phase];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      issues.push({ phase, message: 'must be an array of steps' });
      continue;
    }
    for (let i = 0; i < list.length; i++) {
      const item = list[i] as StepDef | undefined;
      const rawId = (item as { options?: { id?: unknown } } | undefined)?.options?.id;
      const stepId = typeof rawId === 'string' ? rawId : `#${i + 1}`;
      if (
        !item ||
        typeof item !== 'object' ||
        typeof item.kind !== 'string' ||
        !item.options ||
        typeof item.options !== 'object'
      ) {
        issues.push({
          phase,
          stepId,
          message: 'is not a step: build steps with sql(), op.*(), backfill.*(), check.*() or gate.*()',
        });
        continue;
      }
      if (typeof rawId === 'string') {
        if (seen.has(rawId))
          issues.push({ phase, stepId, field: 'id', message: `duplicate step id (also in ${seen.get(rawId)})` });
        seen.set(rawId, phase);
      }
      const kind = stepKind(item.kind);
      if (!kind) {
        issues.push({ phase, stepId, field: 'kind', message: `unknown step kind "${item.kind}"` });
        continue;
      }
      if (kind.phases && !kind.phases.includes(phase)) {
        issues.push({
          phase,
          stepId,
          message: `${item.kind} is not allowed in the ${phase} phase (allowed: ${kind.phases.join(', ')})`,
        });
      }
      const parsed = kind.schema.safeParse(item.options);
      if (!parsed.success) {
        for (const iss of parsed.error.issues) {
          issues.push({ phase, stepId, field: fieldPath(iss.path) || undefined, message: iss.message });
        }
        continue;
      }
      const options = parsed.data as PlannedStep['options'];
      for (const x of kind.validate?.(options, { id: planId ?? '', dir }) ?? []) issues.push({ phase, stepId, ...x });
      if (item.kind === 'sql') {
        for (const f of ['up', 'down'] as const) {
          const v = options[f] as string | string[] | undefined;
          if (!v) continue;
          for (const s of Array.isArray(v) ? v : [v])
            for (const m of await scriptProblems(s)) issues.push({ phase, stepId, field: f, message: `SQL ${m}` });
        }
      }
      let fingerprint: unknown;
      try {
        fingerprint = kind.fingerprint?.(options, dir);
      } catch (e) {
        issues.push({ phase, stepId, message: (e as Error).message });
      }
      steps.push({
        phase,
        index: steps.length,
        kind: item.kind,
        id: options.id,
        title: options.title ?? options.id,
        options,
        checksum: stepChecksum(item.kind, options, fingerprint),
        definition: stepDefinition(item.kind, options, fingerprint),
      });
    }
  }
  for (const x of completions(steps, seen, issues)) steps.push({ ...x, index: steps.length });
  const records = resolveOrmRecords(d.records, dir, steps, issues);
  if (issues.length) throw new PlanInvalidError(issues, planId, file);
  return {
    id: planId!,
    title: typeof d.title === 'string' ? d.title : planId!,
    file,
    dir,
    steps,
    checksum: sha256(steps.map((s) => `${s.id}:${s.checksum}`).join('\n')),
    ...(records.length ? { records } : {}),
  };
}
