/**
 * Fused scans. The per-row checks of one table (`noNulls`, `allowedValues`, `columnsMatch`,
 * `rowCount`) are aggregates over the same rows, so several of them run as ONE pass:
 *
 *   SELECT count(*) FILTER (WHERE "a" IS NULL) AS c0, count(*) FILTER (WHERE …) AS c1, count(*) AS c2 FROM t
 *
 * Proving ten such things about a 10M-row table costs about one sequential scan. A per-row check
 * kind carries a {@link RowProbe}: the aggregates it needs and how it turns their values into a
 * result (fetching a sample only when it fails). Evaluated alone, a check is a fused scan of one.
 *
 * The runner evaluates checks one step at a time; {@link fusedValues} lets the first check of a
 * group compute the whole group's aggregates and hands the others their values when their turn
 * comes. Values are handed out once, so a later evaluation always scans again. The values wait in
 * a {@link FusedCache} that the run owns (docs/architecture.md: no module-level state).
 */
import type { Db } from '../db/connection.js';
import type { CheckKind, CheckResult, ReadContext } from '../kind/step-kind.js';
import type { RelationName } from '../model/plan.js';
import { quoteRelation } from '../sql/ident.js';
import { type Bind, Params } from '../sql/params.js';
import { readOnlyCheck } from './read-only.js';

/** Aggregate values computed by a scan, by the names the check gave them (bigint counts come as strings). */
export type Aggregates = Record<string, string | null>;

/** What a per-row check contributes to a fused scan, and how it reads the result. */
export interface RowProbe<O> {
  /** The table the check scans. */
  table(o: O): RelationName;
  /**
   * Aggregate expressions over the table, by name. The table is not aliased in the scan, so SQL
   * the user wrote (`where`, `equals`) may name the table's columns bare or by the table's name.
   */
  aggregates(ctx: ReadContext, o: O, bind: Bind): Promise<Record<string, string>>;
  /** The result from the aggregate values; fetches a sample only when the check fails. */
  finish(ctx: ReadContext, o: O, values: Aggregates): Promise<CheckResult>;
  /** What `tidemark plan` says beside the scan: what {@link finish} runs only when the check fails. */
  notes?(o: O): string[];
}

/** A check kind that can take part in a fused scan. */
export interface RowCheck<O> {
  readonly rowProbe: RowProbe<O>;
}

/** The probe of a kind, when it has one. */
export function rowProbeOf(kind: CheckKind | undefined): RowProbe<unknown> | undefined {
  return (kind as Partial<RowCheck<unknown>> | undefined)?.rowProbe;
}

/** One check taking part in a scan. */
export interface ScanMember {
  /** Unique within the scan (the step id). */
  id: string;
  ctx: ReadContext;
  probe: RowProbe<unknown>;
  options: unknown;
}

/** The single statement that computes every member's aggregates, with its parameters. */
export async function fusedStatement(
  table: RelationName,
  members: readonly ScanMember[],
): Promise<{ sql: string; params: unknown[]; names: { id: string; name: string; column: string }[] }> {
  const p = new Params();
  const select: string[] = [];
  const names: { id: string; name: string; column: string }[] = [];
  for (const m of members) {
    const aggs = await m.probe.aggregates(m.ctx, m.options, p.bind);
    for (const [name, expr] of Object.entries(aggs)) {
      const column = `c${names.length}`;
      names.push({ id: m.id, name, column });
      select.push(`${expr} AS ${column}`);
    }
  }
  return { sql: `SELECT ${select.join(', ')} FROM ${quoteRelation(table)}`, params: p.values, names };
}

/** Run one pass over `table` computing every member's aggregates. Throws when the statement fails. */
export async function scanTable(
  db: Db,
  table: RelationName,
  members: readonly ScanMember[],
): Promise<Map<string, Aggregates>> {
  const st = await fusedStatement(table, members);
  // Read-only, one statement: a member's `where` can fail the scan, never write (docs/proof.md).
  const row = (await db.readOnly((ro) => ro.rows<Record<string, string | null>>(st.sql, st.params)))[0];
  const out = new Map<string, Aggregates>(members.map((m) => [m.id, {}]));
  for (const n of st.names) out.get(n.id)![n.name] = row[n.column] ?? null;
  return out;
}

/** Evaluate one per-row check on its own: a fused scan of one. */
export async function evaluateAlone<O>(ctx: ReadContext, probe: RowProbe<O>, o: O): Promise<CheckResult> {
  return readOnlyCheck(ctx, async (ro) => {
    const member: ScanMember = { id: 'self', ctx: ro, probe: probe as RowProbe<unknown>, options: o };
    const values = await scanTable(ro.db, probe.table(o), [member]);
    return probe.finish(ro, o, values.get('self')!);
  });
}

/** Values computed for a step by an earlier scan of its group, or a note that the group cannot fuse. */
type Pending = { values: Aggregates } | { alone: true };

/** Values computed by a scan but not handed out yet, by step id; one per run (the runner's session). */
export type FusedCache = Map<string, Pending>;

/**
 * The aggregate values of `stepId`, computed together with the rest of its group in one scan.
 * `byStep` is the run's cache (the runner's session holds it); `group` lists the members that
 * may share the scan (the step itself included). Returns undefined when the step must be evaluated
 * alone: a group of one, or a fused statement that failed (so each check reports its own error).
 */
export async function fusedValues(
  byStep: FusedCache,
  stepId: string,
  table: RelationName,
  group: () => ScanMember[],
): Promise<Aggregates | undefined> {
  const ready = byStep.get(stepId);
  if (ready) {
    byStep.delete(stepId);
    return 'values' in ready ? ready.values : undefined;
  }
  const members = group();
  if (members.length < 2) return undefined;
  const db = members[0].ctx.db;
  try {
    const all = await scanTable(db, table, members);
    for (const m of members) if (m.id !== stepId) byStep.set(m.id, { values: all.get(m.id)! });
    return all.get(stepId);
  } catch {
    for (const m of members) if (m.id !== stepId) byStep.set(m.id, { alone: true });
    return undefined;
  }
}
