/**
 * `op.addUnique({ id, table, columns, name? })` — `CREATE UNIQUE INDEX CONCURRENTLY` (blocks no
 * reads or writes), then `ADD CONSTRAINT … UNIQUE USING INDEX` in a short lock-safe transaction (no
 * scan). Duplicates are counted and sampled before failing, and the failed build leaves no INVALID
 * index. Down: `DROP CONSTRAINT` (its index goes with it). See docs/steps/op-add-unique.md.
 */
import { z } from 'zod';
import { resolveRelation } from '../db/catalog.js';
import { common, ident, identList, relation } from '../kind/fields.js';
import type { Action, Description, ReadContext, StepKind } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { displayRelation, parseRelation, quoteIdent, quoteRelation } from '../sql/ident.js';
import { existingTable, findConstraint } from './catalog.js';
import { buildIndex, dropIndexAction } from './concurrent-index.js';
import { dropConstraint } from './ddl.js';
import { completeInTx, progressOf, rollbackByDescription, singleStatements } from './exec.js';
import { uniqueName } from './names.js';
import { duplicateViolations } from './violations.js';

export const schema = z
  .object({
    ...common,
    table: relation,
    columns: identList,
    name: ident.optional(),
  })
  .strict();

export type Options = z.infer<typeof schema>;
export type Input = z.input<typeof schema>;

/** The constraint's (and its index's) name: `name`, or `<table>_<columns>_key`. */
export function constraintName(o: Options): string {
  return o.name ?? uniqueName(o.table, o.columns);
}

function actions(o: Options): { build: Action; attach: Action } {
  const name = constraintName(o);
  const t = quoteRelation(o.table);
  return {
    build: {
      sql: `CREATE UNIQUE INDEX CONCURRENTLY ${quoteIdent(name)} ON ${t} (${o.columns.map(quoteIdent).join(', ')})`,
      lock: 'SHARE UPDATE EXCLUSIVE',
      transaction: false,
      note: 'blocks neither reads nor writes; waits for older transactions',
    },
    attach: {
      sql: `ALTER TABLE ${t} ADD CONSTRAINT ${quoteIdent(name)} UNIQUE USING INDEX ${quoteIdent(name)}`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'no scan: the index is already built',
    },
  };
}

async function describe(ctx: ReadContext, o: Options): Promise<Description> {
  const a = actions(o);
  return singleStatements(ctx, {
    actions: [a.build, a.attach],
    notes: ['an INVALID index of the same name left by an interrupted build is dropped CONCURRENTLY first'],
  });
}

async function describeDown(ctx: ReadContext, o: Options): Promise<Description> {
  const p = await progressOf(ctx);
  const name = constraintName(o);
  const out: Action[] = [];
  if (p?.constraint === name) out.push(dropConstraint(o.table, name));
  if (p?.index === name) {
    const ref = await resolveRelation(ctx.db.pool, o.table);
    out.push(dropIndexAction(ref?.schema ?? parseRelation(o.table).schema, name));
  }
  if (!out.length) return { actions: [], notes: ['nothing was added by this step'] };
  return singleStatements(ctx, { actions: out });
}

export const kind = {
  kind: 'op.addUnique',
  category: 'op',
  schema,
  phases: ['expand', 'contract'],
  describe,
  describeDown,
  async apply(ctx, o) {
    await describe(ctx, o);
    const name = constraintName(o);
    const a = actions(o);
    const ref = await existingTable(ctx, o.table);
    const existing = await findConstraint(ctx.db.pool, ref.oid, name);
    if (existing) {
      if (ctx.progress?.constraint !== name) {
        throw new StepFailedError(
          ctx.step.id,
          `step "${ctx.step.id}": a constraint named "${name}" already exists on ${displayRelation(o.table)} (${existing.definition}) and was not added by this step`,
          'Drop it, or give this step another `name`.',
        );
      }
      return {};
    }
    await buildIndex(
      ctx,
      {
        table: o.table,
        ref,
        name,
        create: a.build,
        duplicates: () => duplicateViolations(ctx, o.table, o.columns),
        what: `add unique constraint "${name}"`,
      },
      ctx.progress?.index === name,
    );
    return completeInTx(ctx, [a.attach], { index: name, constraint: name });
  },
  rollback: rollbackByDescription(describeDown),
} satisfies StepKind<Options>;
