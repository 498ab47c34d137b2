/**
 * `op.changeType({ id, table, column, type, using?, reverseUsing?, references? })` — a column's
 * type changed while the application runs. A binary-coercible change runs in place and is proven
 * not to rewrite (the relfilenodes are unchanged, else it is rolled back). Anything else goes
 * through shadow columns — the column and, with `references: 'convert'`, every foreign-key column
 * that references it — filled by the backfill engine, then one short swap that also carries the
 * primary key (`USING INDEX`), the owned sequence and the foreign keys (`NOT VALID` → `VALIDATE`).
 * `rollback` converts back the same way, refusing rows that do not fit. See
 * docs/steps/change-type.md.
 */
import { z } from 'zod';
import { batchOptions, common, ident, relation, sqlExpr, throttleOptions } from '../kind/fields.js';
import { formatAction } from '../kind/format-action.js';
import type { Action, Description, ReadContext, StepContext, StepKind } from '../kind/step-kind.js';
import { PlanInvalidError, StepFailedError } from '../model/errors.js';
import { displayRelation } from '../sql/ident.js';
import { type OwnTriggers, planTypeChange, resolveType, type TypeChange, type TypeRef } from './change-type-plan.js';
import { type ConversionProgress, refuse, runConversion, valuesThatDoNotFit } from './change-type-run.js';
import { conversionFunction, createConversion, inPlaceActions, memberSql, swapActions } from './change-type-sql.js';
import { announce, progressOf } from './exec.js';
import { cleanupShadow } from './shadow-column.js';
import { shadowActions, shadowNames } from './shadow-sql.js';

/** The options of `op.changeType`, as a plan writes them. */
export const schema = z
  .object({
    ...common,
    table: relation,
    column: ident,
    /** The new type, as SQL writes it: `bigint`, `varchar(200)`, `numeric(12,2)`. */
    type: z.string().min(1),
    /** The conversion, as SQL over the column (default: a cast). */
    using: sqlExpr.optional(),
    /** The conversion back, for rollback (default: a cast). */
    reverseUsing: sqlExpr.optional(),
    references: z.enum(['convert', 'keep']).optional(),
    batch: batchOptions.optional(),
    throttle: throttleOptions.optional(),
  })
  .strict();

/** Validated options. */
export type Options = z.infer<typeof schema>;
/** Options as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** What the step saves: the path, the original type, each direction's progress. */
interface Progress {
  path?: 'in-place' | 'shadow';
  original?: TypeRef;
  up?: ConversionProgress;
  down?: ConversionProgress;
}

const own: OwnTriggers = (m) =>
  (['ct', 'ctb'] as const).map((tag) => shadowNames({ table: m.table, column: m.column, tag }).trigger);

/** Resolve the new type, or refuse (exit 2) naming the field. */
async function typeOf(ctx: ReadContext, o: Options): Promise<TypeRef> {
  const t = await resolveType(ctx.db, o.type);
  if (typeof t === 'string') badInput(ctx, o, 'type', t);
  return t;
}

async function planOf(ctx: ReadContext, o: Options, to: TypeRef): Promise<TypeChange | null> {
  return planTypeChange(ctx.db.pool, { ...o, references: o.references ?? 'convert' }, to, own);
}

/** Bad input: exit 2, naming the plan, the step and the field; nothing written. */
function badInput(ctx: ReadContext, o: Options, field: string, message: string): never {
  throw new PlanInvalidError([{ phase: ctx.step.phase, stepId: o.id, field, message }], ctx.plan.id);
}

function missing(ctx: ReadContext, o: Options): never {
  badInput(ctx, o, 'column', `${displayRelation(o.table)}.${o.column} does not exist (names are case-sensitive)`);
}

/** What the step will touch, in words (tables, indexes, constraints, sequences, triggers, fill size). */
function touched(c: TypeChange): string[] {
  const notes: string[] = [];
  for (const m of [c.target, ...c.children]) {
    const ix = [
      ...m.deps.indexes.map((i) => i.name),
      ...m.deps.constraints.filter((x) => x.index).map((x) => x.index!.name),
    ];
    const cons = m.deps.constraints.map((x) => x.name);
    notes.push(
      `touches ${m.table.display}.${m.column.name} (${c.from.sql} → ${c.to.sql}): indexes rebuilt ${ix.length ? ix.join(', ') : '(none)'}; constraints ${cons.length ? cons.join(', ') : '(none)'}; a shadow column and trigger ${shadowNames({ table: m.table, column: m.column, tag: 'ct' }).trigger} until the swap`,
    );
  }
  if (c.sequence)
    notes.push(`sequence ${c.sequence.display} (${c.sequence.type}) becomes ${c.to.sql}; the default stays`);
  for (const k of c.kept)
    notes.push(
      `keeps foreign key ${k.fk.name} on ${k.table.display} on its old type (references: 'keep'): its column cannot hold values beyond its type; re-created NOT VALID then validated around the swap`,
    );
  notes.push(`fill: about ${c.rows} row(s) in all, through the backfill engine`);
  return notes;
}

async function describe(ctx: ReadContext, o: Options): Promise<Description> {
  const t = await resolveType(ctx.db, o.type);
  if (typeof t === 'string') return { actions: [], notes: [`will be refused: ${t}`] };
  const c = await planOf(ctx, o, t);
  if (!c)
    return {
      actions: [],
      notes: [`${displayRelation(o.table)}.${o.column} does not exist yet: its type is changed when the step runs`],
    };
  if (c.converted) return { actions: [], notes: [`${c.target.table.display}.${o.column} already has type ${t.sql}`] };
  const notes: string[] = [];
  if (c.problems.length) notes.push(`will be refused: ${c.problems.join('; ')}`);
  if (c.inPlace) {
    notes.push(`binary-coercible (${c.from.sql} → ${t.sql}): in place, no rewrite`);
    return { actions: inPlaceActions(c, t), notes };
  }
  const fn = conversionFunction(ctx.ledgerSchema, c, 'ct');
  const members = await memberSql(c, t, fn, ctx.ledgerSchema, 'ct');
  const actions: Action[] = [
    {
      sql: createConversion(fn, c.target.column.name, c.from.sql, t.sql, o.using),
      lock: 'none',
      note: 'the conversion, used by the triggers and the fill',
    },
  ];
  for (const m of members) {
    const all = shadowActions(m.q, m.member.key);
    actions.push(...all.slice(0, all.length - m.q.swap.length - m.q.validate.length));
  }
  const { swap, validate } = swapActions(c, members, t);
  actions.push(...swap);
  for (const v of validate)
    actions.push({
      sql: v,
      lock: 'SHARE UPDATE EXCLUSIVE',
      transaction: false,
      note: 'scans without blocking reads or writes',
    });
  actions.push({ sql: `DROP FUNCTION IF EXISTS ${fn}`, lock: 'none' });
  notes.push(...touched(c));
  return { actions, notes };
}

/** Prove the in-place change rewrites nothing: relfilenodes of the tables and their indexes. */
async function relfilenodes(q: { query: StepContext['db']['pool']['query'] }, oids: number[]): Promise<string> {
  const r = await q.query<{ f: string }>(
    // By name, not oid: an index PostgreSQL keeps (reusing its storage) gets a new oid but the same relfilenode.
    `SELECT string_agg(c.relname || ':' || c.relfilenode::text, ',' ORDER BY c.relname) AS f FROM pg_class c
      WHERE c.oid = ANY ($1::oid[]) OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = ANY ($1::oid[]))`,
    [oids],
  );
  return r.rows[0].f;
}

async function inPlace(ctx: StepContext, c: TypeChange, to: TypeRef, progress: Progress, label: string) {
  const actions = inPlaceActions(c, to);
  for (const a of actions) announce(ctx, a);
  const oids = [c.target.table.oid, ...c.children.map((m) => m.table.oid)];
  await ctx.tx(label, async (cl) => {
    const before = await relfilenodes(cl, oids);
    for (const a of actions) await cl.query(a.sql);
    const after = await relfilenodes(cl, oids);
    if (before !== after)
      throw new StepFailedError(
        ctx.step.id,
        `step "${ctx.step.id}": changing ${c.target.table.display}.${c.target.column.name} to ${to.sql} in place would rewrite the table; rolled back`,
        'Nothing was changed. Give `using` (even a plain cast) to go through a shadow column instead.',
      );
    await ctx.saveProgress({ ...progress, path: 'in-place' }, cl);
  });
  ctx.emit({
    type: 'notice',
    level: 'info',
    stepId: ctx.step.id,
    message: `${c.target.table.display}.${c.target.column.name} changed to ${to.sql} in place: no rewrite (relfilenode unchanged)`,
  });
}

const walkOf = (o: Options) => ({ batch: o.batch, throttle: o.throttle });

/** The `op.changeType` step kind. */
export const kind = {
  kind: 'op.changeType',
  category: 'op',
  schema,
  phases: ['expand', 'contract'],
  describe,
  async describeDown(ctx, o) {
    const p = ((await progressOf(ctx)) ?? {}) as Progress;
    if (!p.original) return { actions: [], notes: ['nothing was changed yet: nothing to undo'] };
    const c = await planOf(ctx, o, p.original);
    if (!c) return { actions: [], notes: [`${displayRelation(o.table)}.${o.column} no longer exists`] };
    if (c.converted) {
      const fn = conversionFunction(ctx.ledgerSchema, c, 'ct');
      const q = await memberSql(c, c.to, fn, ctx.ledgerSchema, 'ct');
      return {
        actions: q.flatMap((m) =>
          m.q.cleanup.map(
            (sql): Action => ({ sql, lock: 'ACCESS EXCLUSIVE', note: 'never swapped: remove the shadow column' }),
          ),
        ),
        notes: [],
      };
    }
    const notes = [
      `converts back to ${p.original.sql}${o.reverseUsing ? ` using ${o.reverseUsing}` : ''}, refusing rows that do not fit`,
    ];
    if (p.path === 'in-place') return { actions: inPlaceActions(c, p.original), notes };
    const fn = conversionFunction(ctx.ledgerSchema, c, 'ctb');
    const members = await memberSql(c, p.original, fn, ctx.ledgerSchema, 'ctb');
    return {
      actions: [
        ...members.flatMap((m) => shadowActions(m.q, m.member.key)),
        ...swapActions(c, members, p.original).swap,
      ],
      notes,
    };
  },
  async preflight(ctx, o) {
    const t = await typeOf(ctx, o);
    const c = await planOf(ctx, o, t);
    if (!c) {
      const table = await ctx.db.rows(`SELECT to_regclass($1) AS r`, [
        typeof o.table === 'string' ? o.table : `${o.table.schema ?? 'public'}.${o.table.name}`,
      ]);
      if (table[0]?.r) missing(ctx, o);
      return;
    }
    if (!c.converted && c.problems.length)
      refuse(o.id, `cannot change ${c.target.table.display}.${o.column} to ${t.sql}`, c.problems);
  },
  async dryRun(ctx, o) {
    const d = await describe(ctx, o);
    const lines = [...d.actions.map(formatAction), ...(d.notes ?? [])];
    const t = await resolveType(ctx.db, o.type);
    if (typeof t !== 'string') {
      const c = await planOf(ctx, o, t);
      if (c && !c.converted && !c.inPlace) lines.push(await estimateFill(ctx, o, c, t));
    }
    return { lines };
  },
  async apply(ctx, o) {
    const to = await typeOf(ctx, o);
    const c = await planOf(ctx, o, to);
    if (!c) missing(ctx, o);
    const p0 = (ctx.progress ?? {}) as Progress;
    const label = `step "${o.id}"`;
    if (c.converted && !(p0.path === 'shadow' && p0.up?.swapped))
      return { notes: [`${c.target.table.display}.${o.column} already has type ${to.sql}`] };
    const progress: Progress = { ...p0, original: p0.original ?? c.from };
    if (!c.converted && c.problems.length)
      refuse(o.id, `cannot change ${c.target.table.display}.${o.column} to ${to.sql}`, c.problems);
    if (!c.converted && c.inPlace && p0.path !== 'shadow') {
      await inPlace(ctx, c, to, progress, label);
      return { notes: [`changed in place to ${to.sql}: no rewrite`], details: { path: 'in-place' } };
    }
    progress.path = 'shadow';
    await ctx.saveProgress({ ...progress });
    const fn = conversionFunction(ctx.ledgerSchema, c, 'ct');
    const rows = await runConversion(
      ctx,
      c,
      to,
      fn,
      o.using,
      'ct',
      p0.up ?? {},
      (up, cl) => ctx.saveProgress({ ...progress, up }, cl),
      walkOf(o),
      label,
    );
    return {
      rowsAffected: rows,
      details: { path: 'shadow', rowsFilled: rows },
      notes: [`changed to ${to.sql} through shadow columns (${rows} row(s) filled)`],
    };
  },
  async rollback(ctx, o) {
    const p = (ctx.progress ?? {}) as Progress;
    const label = `rollback of step "${o.id}"`;
    if (!p.original) return { notes: ['nothing was changed: nothing to undo'] };
    const back = p.original;
    const c = await planOf(ctx, o, back);
    if (!c)
      throw new StepFailedError(o.id, `cannot convert back: ${displayRelation(o.table)}.${o.column} no longer exists`);
    if (c.converted) {
      // Never swapped: the column still has its original type; remove the shadow columns and triggers.
      const to = await typeOf(ctx, o);
      const up = await planOf(ctx, o, to);
      const fn = conversionFunction(ctx.ledgerSchema, c, 'ct');
      for (const m of await memberSql(up ?? c, to, fn, ctx.ledgerSchema, 'ct'))
        await cleanupShadow(ctx, m.spec, `${label} (${m.member.table.display})`);
      await ctx.tx(`${label}: drop the conversion function`, (cl) => cl.query(`DROP FUNCTION IF EXISTS ${fn}`));
      return { notes: ['the change never swapped: removed its shadow columns and triggers'] };
    }
    if (!p.down?.swapped) {
      const unfit = await valuesThatDoNotFit(ctx, c, o.reverseUsing);
      if (unfit.length) refuse(o.id, `cannot convert ${c.target.table.display}.${o.column} back to ${back.sql}`, unfit);
    }
    if (p.path === 'in-place') {
      const actions = inPlaceActions(c, back).map((a) => ({ ...a, note: 'back to the original type' }));
      for (const a of actions) announce(ctx, a);
      await ctx.tx(label, async (cl) => {
        for (const a of actions) await cl.query(a.sql);
      });
      return { notes: [`converted back to ${back.sql} in place`] };
    }
    if (!p.down?.swapped && c.problems.length)
      refuse(o.id, `cannot convert ${c.target.table.display}.${o.column} back to ${back.sql}`, c.problems);
    const fn = conversionFunction(ctx.ledgerSchema, c, 'ctb');
    const rows = await runConversion(
      ctx,
      c,
      back,
      fn,
      o.reverseUsing,
      'ctb',
      p.down ?? {},
      (down, cl) => ctx.saveProgress({ ...p, down }, cl),
      walkOf(o),
      label,
    );
    return { rowsAffected: rows, notes: [`converted back to ${back.sql} (${rows} row(s) filled)`] };
  },
} satisfies StepKind<Options>;

/** `--dry-run`: the fill's duration, from a timed sample of the conversion over up to 2000 rows. */
async function estimateFill(ctx: ReadContext, o: Options, c: TypeChange, to: TypeRef): Promise<string> {
  const expr = o.using ?? `"${o.column.replace(/"/g, '""')}"`;
  const n = 2000;
  const started = performance.now();
  try {
    const r = await ctx.db.pool.query(
      `SELECT count(*) AS n FROM (SELECT (${expr})::${to.sql} AS v FROM ${c.target.table.sql} LIMIT ${n}) s`,
    );
    const ms = performance.now() - started;
    const sampled = Math.max(1, Number(r.rows[0].n));
    // A fill writes each row once more (a new row version and its index entries): about 10× a read of it.
    const est = Math.round(((ms / sampled) * c.rows * 10) / 1000);
    return `fill estimate: about ${est} s for ${c.rows} row(s) (timed sample: ${sampled} row(s) converted in ${Math.round(ms)} ms; writes counted at 10× the read)`;
  } catch (e) {
    return `would fail: the conversion fails on the sample: ${(e as Error).message}`;
  }
}
