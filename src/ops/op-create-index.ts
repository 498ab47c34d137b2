/**
 * `op.createIndex({ id, table, columns, unique?, using?, where?, include?, name? })` — `CREATE INDEX
 * CONCURRENTLY` outside any transaction (blocks neither reads nor writes). The one exception: a
 * table created by an earlier `op.createTable` of the same plan that is still empty gets a plain
 * `CREATE INDEX` in a short lock-safe transaction (instant, and it does not wait for every older
 * transaction in the database). An INVALID leftover of the same name is dropped CONCURRENTLY and
 * rebuilt; success is never reported while the index is invalid. Down: `DROP INDEX CONCURRENTLY`.
 * See docs/steps/op-create-index.md.
 */
import { z } from 'zod';
import { resolveRelation } from '../db/catalog.js';
import { common, ident, identList, relation, sqlExpr } from '../kind/fields.js';
import type { Action, Description, ReadContext, StepKind } from '../kind/step-kind.js';
import type { RelationName } from '../model/plan.js';
import { parseRelation, quoteIdent, quoteRelation } from '../sql/ident.js';
import { quoteDotted } from '../sql/text.js';
import { existingTable, hasRows } from './catalog.js';
import { buildIndex, dropIndexAction } from './concurrent-index.js';
import { progressOf, rollbackByDescription, singleStatements } from './exec.js';
import { indexName as generatedIndexName } from './names.js';
import { duplicateViolations } from './violations.js';

export const schema = z
  .object({
    ...common,
    table: relation,
    columns: z
      .array(
        z.union([
          ident,
          z
            .object({ column: ident, opclass: z.string().min(1).optional(), order: z.enum(['asc', 'desc']).optional() })
            .strict(),
          z.object({ expression: sqlExpr, opclass: z.string().min(1).optional() }).strict(),
        ]),
      )
      .min(1, 'must list at least one column or expression'),
    unique: z.boolean().optional(),
    using: z.enum(['btree', 'gin', 'gist', 'brin', 'hash', 'spgist', 'hnsw', 'ivfflat']).optional(),
    where: sqlExpr.optional(),
    include: identList.optional(),
    name: ident.optional(),
  })
  .strict();

export type Options = z.infer<typeof schema>;
export type Input = z.input<typeof schema>;
type Col = Options['columns'][number];

/** The index name: `name`, or `<table>_<columns>_idx` (+ a short hash for partial or expression indexes). */
export function indexName(o: Options): string {
  if (o.name) return o.name;
  const parts = o.columns.map((c) => (typeof c === 'string' ? c : 'column' in c ? c.column : 'expr'));
  const exprs = o.columns
    .filter((c): c is { expression: string; opclass?: string } => typeof c !== 'string' && 'expression' in c)
    .map((c) => c.expression);
  const distinguish = o.where || exprs.length ? JSON.stringify({ exprs, where: o.where ?? null }) : undefined;
  return generatedIndexName(o.table, parts, distinguish);
}

function element(c: Col): string {
  if (typeof c === 'string') return quoteIdent(c);
  const op = c.opclass ? ` ${quoteDotted(c.opclass)}` : '';
  if ('expression' in c) return `(${c.expression.trim()})${op}`;
  return `${quoteIdent(c.column)}${op}${c.order ? ` ${c.order.toUpperCase()}` : ''}`;
}

function sameRelation(a: RelationName, b: RelationName): boolean {
  const x = parseRelation(a);
  const y = parseRelation(b);
  return x.name === y.name && (x.schema ?? '') === (y.schema ?? '');
}

/** True when the plan created this table in an earlier op.createTable step and it holds no row yet. */
async function buildsInTransaction(ctx: ReadContext, o: Options): Promise<boolean> {
  const createdHere = ctx.plan.steps.some(
    (s) =>
      s.kind === 'op.createTable' && s.index < ctx.step.index && sameRelation(s.options.table as RelationName, o.table),
  );
  if (!createdHere) return false;
  if (!(await resolveRelation(ctx.db.pool, o.table))) return true;
  return !(await hasRows(ctx.db.pool, o.table));
}

/** The CREATE INDEX statement, CONCURRENTLY or (new, empty table) plain. */
export function createAction(o: Options, concurrently: boolean): Action {
  let sql = `CREATE ${o.unique ? 'UNIQUE ' : ''}INDEX ${concurrently ? 'CONCURRENTLY ' : ''}${quoteIdent(indexName(o))} ON ${quoteRelation(o.table)}`;
  if (o.using) sql += ` USING ${o.using}`;
  sql += ` (${o.columns.map(element).join(', ')})`;
  if (o.include) sql += ` INCLUDE (${o.include.map(quoteIdent).join(', ')})`;
  if (o.where) sql += ` WHERE (${o.where.trim()})`;
  return concurrently
    ? {
        sql,
        lock: 'SHARE UPDATE EXCLUSIVE',
        transaction: false,
        note: 'blocks neither reads nor writes; waits for older transactions',
      }
    : { sql, lock: 'SHARE', note: `table created by this plan and still empty: built at once in a short transaction` };
}

async function describe(ctx: ReadContext, o: Options): Promise<Description> {
  const plain = await buildsInTransaction(ctx, o);
  return singleStatements(ctx, {
    actions: [createAction(o, !plain)],
    notes: plain
      ? []
      : ['an INVALID index of the same name left by an interrupted build is dropped CONCURRENTLY first'],
  });
}

async function describeDown(ctx: ReadContext, o: Options): Promise<Description> {
  const p = await progressOf(ctx);
  if (p?.index !== indexName(o))
    return { actions: [], notes: ['the index was not built by this step: nothing to drop'] };
  const ref = await resolveRelation(ctx.db.pool, o.table);
  return singleStatements(ctx, {
    actions: [dropIndexAction(ref?.schema ?? parseRelation(o.table).schema, indexName(o))],
  });
}

export const kind = {
  kind: 'op.createIndex',
  category: 'op',
  schema,
  phases: ['expand', 'contract'],
  validate(o) {
    const issues: { field: string; message: string }[] = [];
    const method = o.using ?? 'btree';
    if (o.unique && method !== 'btree')
      issues.push({ field: 'unique', message: `a ${method} index cannot be unique (only btree can)` });
    if (o.include && !['btree', 'gist', 'spgist'].includes(method))
      issues.push({
        field: 'include',
        message: `a ${method} index has no INCLUDE columns (btree, gist and spgist do)`,
      });
    o.columns.forEach((c, i) => {
      if (typeof c !== 'string' && 'order' in c && c.order && method !== 'btree')
        issues.push({ field: `columns[${i}].order`, message: `a ${method} index has no order (only btree does)` });
    });
    return issues;
  },
  describe,
  describeDown,
  async apply(ctx, o) {
    const d = await describe(ctx, o);
    const ref = await existingTable(ctx, o.table);
    const name = indexName(o);
    const how = await buildIndex(
      ctx,
      {
        table: o.table,
        ref,
        name,
        create: d.actions[0],
        duplicates:
          o.unique && o.columns.every((c) => typeof c === 'string' || 'column' in c)
            ? () =>
                duplicateViolations(
                  ctx,
                  o.table,
                  o.columns.map((c) => (typeof c === 'string' ? c : (c as { column: string }).column)),
                  o.where,
                )
            : undefined,
        what: `create unique index "${name}"`,
      },
      ctx.progress?.index === name,
    );
    return { notes: how === 'existed' ? [`index "${name}" was already built by an earlier attempt`] : undefined };
  },
  rollback: rollbackByDescription(describeDown),
} satisfies StepKind<Options>;
