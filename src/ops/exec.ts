/**
 * Running an op's actions: each statement announced as a `step.statement` event (the same SQL
 * `tidemark plan` prints), blocking DDL in one lock-safe transaction (`ctx.tx`), statements that
 * must wait for older transactions on their own (`ctx.waiting`). Also: the guard that every action
 * is exactly one statement, and reading a step's saved progress from either kind of context.
 */
import type pg from 'pg';
import type { Action, Description, ReadContext, StepContext, StepOutcome } from '../kind/step-kind.js';
import { UsageError } from '../model/errors.js';
import { ensureParser, parseStatements, SqlSyntaxError } from '../sql/parse.js';

/**
 * Refuse a description whose SQL is not exactly one statement per action: SQL fields (`where`,
 * `expression`, `default`, column definitions) are used as written, but can never add a statement.
 */
export async function singleStatements(ctx: Pick<ReadContext, 'step'>, d: Description): Promise<Description> {
  await ensureParser();
  for (const a of d.actions) {
    let count: number;
    try {
      count = parseStatements(a.sql).length;
    } catch (e) {
      const where = e instanceof SqlSyntaxError ? ` (column ${e.column})` : '';
      throw new UsageError(
        `step "${ctx.step.id}" (${ctx.step.kind}): the SQL built from its options does not parse: ${(e as Error).message}${where}\n  ${a.sql}`,
        'Check the SQL fields of the step (where, expression, default, type, column definitions): each must be one SQL expression or definition.',
      );
    }
    if (count !== 1) {
      throw new UsageError(
        `step "${ctx.step.id}" (${ctx.step.kind}): the SQL built from its options holds ${count} statements instead of one\n  ${a.sql}`,
        'SQL fields (where, expression, default, type, column definitions) must not contain a ";"-separated statement.',
      );
    }
  }
  return d;
}

/** Label for lock-safety messages. */
export function label(ctx: StepContext, down = false): string {
  return `${down ? 'rollback of ' : ''}step "${ctx.step.id}"`;
}

/** Announce a statement before it runs. */
export function announce(ctx: StepContext, a: Action, count?: number): void {
  const index = ctx.nextStatementIndex();
  ctx.emit({ type: 'step.statement', stepId: ctx.step.id, index, count: count ?? 0, sql: a.sql });
}

/**
 * Run transactional actions in one lock-safe transaction (short lock_timeout, retried on 55P03).
 * `also` runs last in the same transaction: record progress or completion atomically with the DDL.
 */
export async function inTx(
  ctx: StepContext,
  actions: Action[],
  also?: (client: pg.PoolClient) => Promise<void>,
  down = false,
): Promise<void> {
  for (const a of actions) announce(ctx, a);
  await ctx.tx(label(ctx, down), async (client) => {
    for (const a of actions) await client.query(a.sql, a.params as unknown[] | undefined);
    await also?.(client);
  });
}

/** Run one statement that waits for older transactions (CONCURRENTLY, VALIDATE), outside a transaction. */
export async function waiting(ctx: StepContext, a: Action, down = false): Promise<pg.QueryResult> {
  announce(ctx, a);
  return ctx.waiting(label(ctx, down), a.sql, a.params);
}

/** Run actions in order: each non-transactional one alone, consecutive transactional ones together. */
export async function runActions(ctx: StepContext, actions: Action[], down = false): Promise<void> {
  let batch: Action[] = [];
  const flush = async () => {
    if (batch.length) await inTx(ctx, batch, undefined, down);
    batch = [];
  };
  for (const a of actions) {
    if (a.transaction === false) {
      await flush();
      await waiting(ctx, a, down);
    } else batch.push(a);
  }
  await flush();
}

/** The step's saved progress: from the step context, or from the ledger for `plan --rollback`. */
export async function progressOf(ctx: ReadContext): Promise<Record<string, unknown> | null> {
  if ('progress' in ctx) return (ctx as StepContext).progress;
  if (!ctx.ledger) return null;
  return (await ctx.ledger.stepStates(ctx.plan.id)).get(ctx.step.id)?.progress ?? null;
}

/** Run transactional actions and record the step completed, with `progress`, in the same transaction. */
export async function completeInTx(
  ctx: StepContext,
  actions: Action[],
  progress: Record<string, unknown>,
): Promise<StepOutcome> {
  await inTx(ctx, actions, async (client) => {
    await ctx.saveProgress(progress, client);
    await ctx.markCompleted(client, {});
  });
  return { recorded: true };
}

/** The rollback of a kind whose `describeDown` lists every statement it needs: run them in order. */
export function rollbackByDescription<O>(
  describeDown: (ctx: ReadContext, o: O) => Promise<Description>,
): (ctx: StepContext, o: O) => Promise<StepOutcome> {
  return async (ctx, o) => {
    await runActions(ctx, (await describeDown(ctx, o)).actions, true);
    return {};
  };
}
