/**
 * Running a type change (either direction), resumable at every stage: the conversion function,
 * then per converted column a shadow column, its trigger, its fill through the backfill engine,
 * its twin indexes and NOT NULL check (shadow-column.ts), then the one swap transaction over every
 * table, then the validations. A run killed at any point resumes from the catalog and the saved
 * progress: each stage checks what exists first (docs/steps/change-type.md).
 */
import type pg from 'pg';
import type { KeyWalk } from '../backfill/op-walk.js';
import type { StepContext } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { quoteIdent } from '../sql/ident.js';
import { keyAsText, keyOf, keyOfRow, showKey } from '../sql/key-range.js';
import { dollarQuote } from '../sql/text.js';
import type { TypeChange, TypeRef } from './change-type-plan.js';
import { createConversion, type Direction, memberSql, swapActions } from './change-type-sql.js';
import { announce } from './exec.js';
import { assertUnchanged, prepareShadow, type ShadowProgress } from './shadow-column.js';

/** What one direction saves between runs. */
export interface ConversionProgress {
  members?: Record<string, ShadowProgress>;
  swapped?: boolean;
  validate?: string[];
}

/** A member's slot in the progress. */
export const memberKey = (m: { table: { display: string }; column: { name: string } }) =>
  `${m.table.display}.${m.column.name}`;

/** Run (or resume) one direction to its end; returns the rows the fills wrote. */
export async function runConversion(
  ctx: StepContext,
  c: TypeChange,
  to: TypeRef,
  fn: string,
  using: string | undefined,
  dir: Direction,
  saved: ConversionProgress,
  save: (p: ConversionProgress, client?: pg.PoolClient) => Promise<void>,
  walk: Pick<KeyWalk, 'batch' | 'throttle'>,
  label: string,
): Promise<number> {
  const p: ConversionProgress = { ...saved, members: { ...(saved.members ?? {}) } };
  let rows = 0;
  if (!p.swapped) {
    const create = createConversion(fn, c.target.column.name, c.from.sql, to.sql, using);
    announce(ctx, { sql: create });
    await ctx.tx(`${label}: conversion function`, (cl) => cl.query(create));
    const members = await memberSql(c, to, fn, ctx.ledgerSchema, dir);
    for (const { member, spec, q } of members) {
      const k = memberKey(member);
      const mp: ShadowProgress = { ...(p.members![k] ?? {}) };
      const store = {
        progress: mp,
        save: async (sp: ShadowProgress, cl?: pg.PoolClient) => {
          p.members![k] = sp;
          await save({ ...p }, cl);
        },
        walk,
      };
      rows += await prepareShadow(ctx, spec, q, store, mp, `${label} (${k})`);
    }
    for (const { spec } of members) await assertUnchanged(ctx.db.pool, spec, ctx.step.id);
    const { swap, validate } = swapActions(c, members, to);
    for (const a of swap) announce(ctx, a);
    const started = performance.now();
    await ctx.tx(`${label}: swap`, async (cl) => {
      for (const a of swap) await cl.query(a.sql);
      Object.assign(p, { swapped: true, validate });
      await save({ ...p }, cl);
    });
    ctx.emit({
      type: 'notice',
      level: 'info',
      stepId: ctx.step.id,
      message: `swapped ${members.map((m) => memberKey(m.member)).join(', ')} to ${to.sql} in ${Math.round(performance.now() - started)} ms`,
    });
  }
  for (const v of p.validate ?? []) {
    announce(ctx, { sql: v });
    await ctx.waiting(`${label}: validate`, v);
  }
  await ctx.tx(`${label}: drop the conversion function`, (cl) => cl.query(`DROP FUNCTION IF EXISTS ${fn}`));
  return rows;
}

/**
 * Before converting back: every value must fit the original type (`reverseUsing`), and the owned
 * sequence must be within its range. Reads only (ACCESS SHARE); the probe function is rolled back.
 * Returns the reasons, naming up to 10 rows per table.
 */
export async function valuesThatDoNotFit(
  ctx: StepContext,
  c: TypeChange,
  reverseUsing: string | undefined,
): Promise<string[]> {
  const back = c.to;
  const out: string[] = [];
  const probe = `${quoteIdent(ctx.ledgerSchema)}.${quoteIdent('tidemark_fits_probe')}`;
  const col = quoteIdent(c.target.column.name);
  const expr = reverseUsing ?? col;
  const body = `BEGIN PERFORM (${expr})::${back.sql}; RETURN true; EXCEPTION WHEN others THEN RETURN false; END`;
  await ctx.db.withClient(async (cl) => {
    await cl.query('BEGIN');
    try {
      await cl.query(
        `CREATE FUNCTION ${probe}(${col} ${c.from.sql}) RETURNS boolean LANGUAGE plpgsql AS ${dollarQuote(body)}`,
      );
      for (const m of [c.target, ...c.children]) {
        const key = keyOf(m.key);
        const r = await cl.query(
          `SELECT ${keyAsText(key)} FROM ${m.table.sql} WHERE ${quoteIdent(m.column.name)} IS NOT NULL AND NOT ${probe}(${quoteIdent(m.column.name)}) LIMIT 10`,
        );
        if (r.rows.length)
          out.push(
            `${r.rows.length === 10 ? 'at least 10' : r.rows.length} row(s) of ${m.table.display} hold a ${m.column.name} that does not fit ${back.sql}: ${r.rows.map((x) => showKey(key, keyOfRow(key, x))).join(', ')}`,
          );
      }
      if (c.sequence && ['smallint', 'integer'].includes(back.sql)) {
        const max = back.sql === 'integer' ? 2147483647 : 32767;
        const s = await cl.query<{ v: string }>(`SELECT last_value::text AS v FROM ${c.sequence.sql}`);
        if (BigInt(s.rows[0].v) > BigInt(max))
          out.push(`sequence ${c.sequence.display} is at ${s.rows[0].v}, beyond ${back.sql}`);
      }
    } finally {
      await cl.query('ROLLBACK').catch(() => undefined);
    }
  });
  return out;
}

/** Refuse with every reason at once; nothing was changed. */
export function refuse(stepId: string, what: string, problems: string[]): never {
  throw new StepFailedError(stepId, `${what}: ${problems.join('; ')}`, 'Nothing was changed.');
}
