/**
 * Running raw SQL (the `sql` and `sqlFile` steps). With `transaction: true` (default) the whole
 * script is one lock-safe transaction that also records the step's completion. With
 * `transaction: false` each statement runs on its own and its index is saved, so a rerun resumes at
 * the statement that failed (a statement killed after it ran but before its index was saved may
 * run again: make such statements idempotent, e.g. `IF NOT EXISTS`).
 */

import type { Action, StepContext, StepOutcome } from '../kind/step-kind.js';
import { InterruptedError, StepFailedError } from '../model/errors.js';
import { ensureParser, parseStatements, SqlSyntaxError, statementTraits } from '../sql/parse.js';

/** Split a script into actions with their lock traits. */
export async function scriptActions(script: string, transaction: boolean): Promise<Action[]> {
  await ensureParser();
  const stmts = parseStatements(script);
  return stmts.map((s) => {
    const t = statementTraits(s);
    return { sql: s.text, lock: t.lock, transaction: transaction ? true : !t.nonTransactional && !t.waits };
  });
}

/** Syntax problems of a script, with line and column, for plan validation. */
export async function scriptProblems(script: string): Promise<string[]> {
  await ensureParser();
  try {
    const stmts = parseStatements(script);
    return stmts.length ? [] : ['contains no SQL statement'];
  } catch (e) {
    if (e instanceof SqlSyntaxError) return [`${e.message} (line ${e.line}, column ${e.column})`];
    throw e;
  }
}

/** Run scripts as one unit or statement by statement, resuming from saved progress. */
export async function runScripts(
  ctx: StepContext,
  scripts: string[],
  transaction: boolean,
  label: string,
): Promise<StepOutcome> {
  const actions: Action[] = [];
  for (const s of scripts) actions.push(...(await scriptActions(s, transaction)));
  if (transaction) {
    const nonTx = actions.filter((a) => {
      const up = a.sql.toUpperCase();
      return /\bCONCURRENTLY\b/.test(up) || /^\s*VACUUM\b/.test(up);
    });
    if (nonTx.length) {
      throw new StepFailedError(
        ctx.step.id,
        `${label}: "${nonTx[0].sql.slice(0, 60)}…" cannot run inside a transaction block`,
        'Set transaction: false on this step (or start the file with "-- tidemark:no-transaction").',
      );
    }
    let rows = 0;
    await ctx.tx(`step "${ctx.step.id}"`, async (client) => {
      rows = 0;
      for (const a of actions) {
        const r = await client.query(a.sql);
        rows += r.rowCount ?? 0;
      }
      await ctx.markCompleted(client, { rowsAffected: rows, details: { statements: actions.length } });
    });
    return { rowsAffected: rows, recorded: true };
  }
  const startAt = Number(ctx.progress?.statementsDone ?? 0);
  if (startAt > 0)
    ctx.emit({
      type: 'notice',
      level: 'info',
      stepId: ctx.step.id,
      message: `resuming at statement ${startAt + 1} of ${actions.length}`,
    });
  let rows = 0;
  for (let i = startAt; i < actions.length; i++) {
    // Asked to stop (SIGINT, SIGTERM): the statement before committed with its progress; stop here.
    if (i > startAt && ctx.signal?.aborted)
      throw new InterruptedError(
        `interrupted after statement ${i} of ${actions.length} of step "${ctx.step.id}" — run again to resume`,
      );
    const a = actions[i];
    ctx.emit({ type: 'step.statement', stepId: ctx.step.id, index: i, count: actions.length, sql: a.sql });
    const what = `step "${ctx.step.id}" statement ${i + 1}/${actions.length}`;
    if (a.transaction === false) {
      const r = await ctx.waiting(what, a.sql);
      rows += r.rowCount ?? 0;
      await ctx.saveProgress({ statementsDone: i + 1 });
    } else {
      await ctx.tx(what, async (client) => {
        const r = await client.query(a.sql);
        rows += r.rowCount ?? 0;
        await ctx.saveProgress({ statementsDone: i + 1 }, client);
      });
    }
  }
  return { rowsAffected: rows, details: { statements: actions.length } };
}
