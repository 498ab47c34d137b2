/**
 * `op.dropIndex({ id, name })` — contract phase only. Records the index's `pg_get_indexdef` (and
 * comment) in the ledger's `archives`, then `DROP INDEX CONCURRENTLY`; `rollback` rebuilds it
 * `CONCURRENTLY` from that definition. An index backing a constraint is refused (use
 * `op.dropConstraint`). See docs/steps/op-drop-index.md.
 */
import { z } from 'zod';
import type { Queryable } from '../db/connection.js';
import { common, relation } from '../kind/fields.js';
import type { Action, StepKind } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { displayRelation, quoteIdent } from '../sql/ident.js';
import {
  activeArchive,
  activeArchiveIfAny,
  markArchiveRestored,
  recordArchive,
  updateArchiveDefinition,
} from './archive.js';
import { type IndexDef, indexDef, resolveRef } from './archive-catalog.js';
import { buildIndexConcurrently, concurrentIndexSql, indexActions } from './archive-restore.js';

/** The options of `op.dropIndex`, as a plan writes them. */
export const schema = z
  .object({
    ...common,
    name: relation,
  })
  .strict();

/** Validated options. */
export type Options = z.infer<typeof schema>;
/** Options as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** What is recorded for a dropped index. */
type Archived = IndexDef & { table: string };

function dropAction(schemaName: string, name: string): Action {
  return {
    sql: `DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(schemaName)}.${quoteIdent(name)}`,
    lock: 'SHARE UPDATE EXCLUSIVE',
    transaction: false,
    note: 'waits for transactions using the index; blocks neither reads nor writes',
  };
}

/** The index and its table, or why it cannot be dropped restorably. */
async function inspect(q: Queryable, o: Options): Promise<{ ix: Archived; problem?: string } | null> {
  const rel = await resolveRef(q, o.name);
  if (!rel) return null;
  if (rel.kind !== 'i' && rel.kind !== 'I')
    return {
      ix: { oid: rel.oid, schema: rel.schema, name: rel.name, def: '', valid: false, comment: null, table: '' },
      problem: `${rel.display} is not an index`,
    };
  const r = await q.query<{ tbl: string; con: string | null }>(
    `SELECT i.indrelid::regclass::text AS tbl, (SELECT conname FROM pg_constraint WHERE conindid = i.indexrelid AND contype IN ('p', 'u', 'x') LIMIT 1) AS con
       FROM pg_index i WHERE i.indexrelid = $1`,
    [rel.oid],
  );
  const ix = { ...(await indexDef(q, rel.oid)), table: r.rows[0].tbl };
  if (r.rows[0].con)
    return {
      ix,
      problem: `index ${rel.display} backs constraint "${r.rows[0].con}": drop the constraint with op.dropConstraint`,
    };
  if (rel.kind === 'I')
    return {
      ix,
      problem: `${rel.display} is an index of a partitioned table: PostgreSQL cannot drop or build it CONCURRENTLY`,
    };
  return { ix };
}

/** The `op.dropIndex` step kind. */
export const kind = {
  kind: 'op.dropIndex',
  category: 'op',
  schema,
  phases: ['contract'],
  async describe(ctx, o) {
    const found = await inspect(ctx.db.pool, o);
    if (!found) return { actions: [], notes: [`index ${displayRelation(o.name)} does not exist (yet)`] };
    if (found.problem) return { actions: [], notes: [`refused: ${found.problem}`] };
    return {
      actions: [dropAction(found.ix.schema, found.ix.name)],
      notes: [`its definition is recorded first, for rollback: ${found.ix.def}`],
    };
  },
  async describeDown(ctx, o) {
    const a = await activeArchiveIfAny(ctx.ledger, ctx.plan.id, o.id);
    if (!a) return { actions: [], notes: ['nothing archived yet: nothing to restore'] };
    return { actions: indexActions(a.definition as unknown as Archived) };
  },
  async apply(ctx, o) {
    const archived = await activeArchive(ctx.ledger, ctx.plan.id, o.id);
    const found = await inspect(ctx.db.pool, o);
    if (!found) {
      if (archived)
        return { notes: ['already dropped'], details: { definition: (archived.definition as { def?: string }).def } };
      throw new StepFailedError(o.id, `index ${displayRelation(o.name)} does not exist`);
    }
    if (found.problem)
      throw new StepFailedError(
        o.id,
        `cannot drop ${displayRelation(o.name)}: ${found.problem}`,
        'Nothing was changed.',
      );
    const def = found.ix;
    await ctx.db.transaction(async (c) => {
      if (archived) await updateArchiveDefinition(ctx.ledger, c, archived.id, { ...def });
      else
        await recordArchive(ctx.ledger, c, {
          planId: ctx.plan.id,
          stepId: o.id,
          kind: 'index',
          object: `${def.schema}.${def.name}`,
          archiveTable: null,
          definition: { ...def },
        });
    });
    const drop = dropAction(def.schema, def.name);
    await ctx.waiting(`step "${o.id}": drop index ${def.name}`, drop.sql);
    return { details: { definition: def.def } };
  },
  async rollback(ctx, o) {
    const a = await activeArchive(ctx.ledger, ctx.plan.id, o.id);
    if (!a) return { notes: ['nothing was archived: nothing to restore'] };
    const d = a.definition as unknown as Archived;
    const r = await buildIndexConcurrently(ctx, d.schema, d.name, concurrentIndexSql(d.def), d.comment);
    await ctx.db.transaction((c) => markArchiveRestored(ctx.ledger, c, a.id));
    return { notes: [r === 'existed' ? `index ${d.name} already exists` : `rebuilt index ${d.name} concurrently`] };
  },
} satisfies StepKind<Options>;
