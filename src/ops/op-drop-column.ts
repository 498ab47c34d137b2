/**
 * `op.dropColumn({ id, table, column })` — contract phase only. The column's values are archived
 * (key, value) in `tidemark_archive` by the backfill engine, with a trigger recording rows written meanwhile;
 * then one short transaction drops it. `rollback` re-adds it and restores its data, default,
 * NOT NULL, indexes and constraints without a long lock. See docs/steps/op-drop-column.md.
 */
import { z } from 'zod';
import { batchOptions, common, ident, relation, throttleOptions } from '../kind/fields.js';
import type { StepKind } from '../kind/step-kind.js';
import { displayRelation } from '../sql/ident.js';
import { activeArchiveIfAny } from './archive.js';
import { refOf, resolveRef } from './archive-catalog.js';
import { archiveAndDropColumn, captureColumn } from './archive-column.js';
import { restoreActions, restoreColumn } from './archive-column-restore.js';
import { archiveActions, type ColumnArchiveDef, columnArchiveNames } from './archive-column-sql.js';

/** The options of `op.dropColumn`, as a plan writes them. */
export const schema = z
  .object({
    ...common,
    table: relation,
    column: ident,
    /** The archive copy's and the rollback refill's batches (docs/backfill.md). */
    batch: batchOptions.optional(),
    throttle: throttleOptions.optional(),
  })
  .strict();

/** Validated options. */
export type Options = z.infer<typeof schema>;
/** Options as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** The `op.dropColumn` step kind. */
export const kind = {
  kind: 'op.dropColumn',
  category: 'op',
  schema,
  phases: ['contract'],
  async describe(ctx, o) {
    const table = await resolveRef(ctx.db.pool, o.table);
    const cap = table
      ? await captureColumn(ctx.db.pool, table, o.column, columnArchiveNames(ctx.plan.id, o.id, table.name, o.column))
      : null;
    if (!table || !cap) {
      return {
        actions: [],
        notes: [
          `${displayRelation(o.table)}.${o.column} does not exist yet: its values will be archived in tidemark_archive, then the column dropped in one short transaction`,
        ],
      };
    }
    const notes = cap.problems.length
      ? [`refused if it ran now (earlier steps may change that): ${cap.problems.join('; ')}`]
      : [];
    return { actions: archiveActions(cap.def, table), notes };
  },
  async describeDown(ctx, o) {
    const a = await activeArchiveIfAny(ctx.ledger, ctx.plan.id, o.id);
    if (!a) return { actions: [], notes: ['nothing archived yet: nothing to restore'] };
    const d = a.definition as unknown as ColumnArchiveDef;
    const t = await resolveRef(ctx.db.pool, { schema: d.table.schema, name: d.table.name });
    const table = t ?? refOf({ oid: 0, schema: d.table.schema, name: d.table.name, kind: 'r' });
    return {
      actions: restoreActions(d, table),
      notes: [`restores ${d.table.schema}.${d.table.name}.${d.column.name} from tidemark_archive.${d.archiveTable}`],
    };
  },
  apply: (ctx, o) => archiveAndDropColumn(ctx, o),
  rollback: (ctx, o) => restoreColumn(ctx, o.id, o),
} satisfies StepKind<Options>;
