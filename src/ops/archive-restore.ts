/**
 * Rebuilding what a drop removed, without a long lock: indexes `CONCURRENTLY` (an INVALID
 * leftover of an earlier attempt is dropped concurrently first, after checking it is not a build
 * still running elsewhere), NOT NULL as `CHECK … NOT VALID` → `VALIDATE` → `SET NOT NULL`, check
 * and foreign-key constraints `NOT VALID` then `VALIDATE`, unique and primary-key constraints as a
 * concurrent unique index then `ADD CONSTRAINT … USING INDEX`. Every function checks the catalog
 * first, so a rerun after a crash picks up where the last one stopped. The `*Actions` functions
 * return the same statements as data, for `tidemark plan --rollback`.
 */

import type { KeyColumn } from '../db/catalog.js';
import { sqlState } from '../db/connection.js';
import type { Action, StepContext } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { sha256 } from '../sql/checksum.js';
import { generatedName, quoteIdent } from '../sql/ident.js';
import { keyOf, keyOrder } from '../sql/key-range.js';
import { quoteLiteral } from '../sql/text.js';
import type { ConstraintDef, IndexDef, RelationRef } from './archive-catalog.js';
import { ensureIndex } from './concurrent-index.js';
import { inTx } from './exec.js';
import { checkViolations, violationError } from './violations.js';

/** `pg_get_indexdef` text → the same index built `CONCURRENTLY`. */
export function concurrentIndexSql(def: string): string {
  return def.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX CONCURRENTLY ');
}

/** The deterministic name of the temporary `CHECK (col IS NOT NULL)` used to restore NOT NULL. */
export function notNullCheckName(table: string, column: string): string {
  return generatedName([table, column], 'tm_nn', sha256);
}

/** Statements that rebuild an index concurrently. */
export function indexActions(ix: Pick<IndexDef, 'def' | 'comment' | 'schema' | 'name'>): Action[] {
  const out: Action[] = [
    {
      sql: concurrentIndexSql(ix.def),
      lock: 'SHARE UPDATE EXCLUSIVE',
      transaction: false,
      note: 'waits for older transactions; blocks neither reads nor writes',
    },
  ];
  if (ix.comment != null)
    out.push({
      sql: `COMMENT ON INDEX ${quoteIdent(ix.schema)}.${quoteIdent(ix.name)} IS ${quoteLiteral(ix.comment)}`,
      lock: 'SHARE UPDATE EXCLUSIVE',
    });
  return out;
}

/**
 * Build an index `CONCURRENTLY` unless a valid one of that name exists; never returns while the
 * index is INVALID (see {@link ensureIndex}). Then its comment, when it had one.
 */
export async function buildIndexConcurrently(
  ctx: StepContext,
  schema: string,
  name: string,
  createSql: string,
  comment?: string | null,
  down = false,
): Promise<'built' | 'existed'> {
  const create: Action = {
    sql: createSql,
    lock: 'SHARE UPDATE EXCLUSIVE',
    transaction: false,
    note: 'waits for older transactions; blocks neither reads nor writes',
  };
  const r = await ensureIndex(ctx, schema, name, create, down);
  if (r === 'built' && comment != null) {
    await inTx(
      ctx,
      [
        {
          sql: `COMMENT ON INDEX ${quoteIdent(schema)}.${quoteIdent(name)} IS ${quoteLiteral(comment)}`,
          lock: 'SHARE UPDATE EXCLUSIVE',
        },
      ],
      undefined,
      down,
    );
  }
  return r;
}

/** Statements that restore NOT NULL on a column the lock-safe way. */
export function notNullActions(table: RelationRef, column: string): Action[] {
  const chk = quoteIdent(notNullCheckName(table.name, column));
  const col = quoteIdent(column);
  return [
    {
      sql: `ALTER TABLE ${table.sql} ADD CONSTRAINT ${chk} CHECK (${col} IS NOT NULL) NOT VALID`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'instant: no scan',
    },
    {
      sql: `ALTER TABLE ${table.sql} VALIDATE CONSTRAINT ${chk}`,
      lock: 'SHARE UPDATE EXCLUSIVE',
      transaction: false,
      note: 'scans without blocking reads or writes',
    },
    {
      sql: `ALTER TABLE ${table.sql} ALTER COLUMN ${col} SET NOT NULL`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'no scan: the validated check proves it',
    },
    { sql: `ALTER TABLE ${table.sql} DROP CONSTRAINT ${chk}`, lock: 'ACCESS EXCLUSIVE' },
  ];
}

/** A sample of up to 10 keys of rows where `column` is NULL. */
async function nullSample(
  ctx: StepContext,
  table: RelationRef,
  column: string,
  key: readonly KeyColumn[],
): Promise<Record<string, unknown>[]> {
  const cols = key.length ? keyOrder(keyOf(key)) : 'ctid::text AS ctid';
  return ctx.db.rows(`SELECT ${cols} FROM ${table.sql} WHERE ${quoteIdent(column)} IS NULL LIMIT 10`);
}

/** Restore NOT NULL: CHECK NOT VALID → VALIDATE → SET NOT NULL + drop the check. Refuses with a sample of NULL rows. */
export async function restoreNotNull(
  ctx: StepContext,
  table: RelationRef,
  column: string,
  key: readonly KeyColumn[],
  notNullName?: string | null,
): Promise<void> {
  const [add, validate, setNN, dropChk] = notNullActions(table, column);
  const chkName = notNullCheckName(table.name, column);
  const state = async () =>
    (
      await ctx.db.rows<{ nn: boolean; chk: boolean | null }>(
        `SELECT a.attnotnull AS nn, (SELECT c.convalidated FROM pg_constraint c WHERE c.conrelid = a.attrelid AND c.conname = $3) AS chk
       FROM pg_attribute a WHERE a.attrelid = $1 AND a.attname = $2`,
        [table.oid, column, chkName],
      )
    )[0];
  let s = await state();
  if (!s.nn) {
    if (s.chk === null) await ctx.tx(`step "${ctx.step.id}": NOT NULL check on ${column}`, (c) => c.query(add.sql));
    s = await state();
    if (!s.chk) {
      try {
        await ctx.waiting(`step "${ctx.step.id}": validate NOT NULL of ${column}`, validate.sql);
      } catch (e) {
        if (sqlState(e) !== '23514') throw e;
        const sample = await nullSample(ctx, table, column, key);
        throw new StepFailedError(
          ctx.step.id,
          `cannot restore NOT NULL on ${table.display}.${column}: rows hold NULL (sample: ${JSON.stringify(sample)})`,
          'Fill those rows (they were probably inserted after the column was dropped), then run again.',
          { sample },
        );
      }
    }
    await ctx.tx(`step "${ctx.step.id}": SET NOT NULL ${column}`, async (c) => {
      await c.query(setNN.sql);
      await c.query(dropChk.sql);
    });
  } else if (s.chk !== null) {
    await ctx.tx(`step "${ctx.step.id}": drop NOT NULL check on ${column}`, (c) => c.query(dropChk.sql));
  }
  if (notNullName) await renameNotNull(ctx, table, column, notNullName);
}

/** PostgreSQL ≥ 18 names NOT NULL constraints: give the restored one its original name (no-op before 18). */
export async function renameNotNull(ctx: StepContext, table: RelationRef, column: string, name: string): Promise<void> {
  const r = await ctx.db.rows<{ conname: string }>(
    `SELECT c.conname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND c.conkey = ARRAY[a.attnum]
      WHERE c.conrelid = $1 AND a.attname = $2 AND c.contype::text = 'n'`,
    [table.oid, column],
  );
  if (r[0] && r[0].conname !== name) {
    await ctx.tx(`step "${ctx.step.id}": rename NOT NULL constraint`, (c) =>
      c.query(`ALTER TABLE ${table.sql} RENAME CONSTRAINT ${quoteIdent(r[0].conname)} TO ${quoteIdent(name)}`),
    );
  }
}

/** A constraint definition without a trailing `NOT VALID`. */
function baseDef(def: string): string {
  return def.replace(/\s+NOT VALID\s*$/, '');
}

function deferrable(con: ConstraintDef): string {
  return con.deferrable ? (con.deferred ? ' DEFERRABLE INITIALLY DEFERRED' : ' DEFERRABLE') : '';
}

/** Statements that restore a constraint lock-safely. */
export function constraintActions(table: RelationRef, con: ConstraintDef): Action[] {
  const name = quoteIdent(con.name);
  const out: Action[] = [];
  if (con.type === 'c' || con.type === 'f') {
    out.push({
      sql: `ALTER TABLE ${table.sql} ADD CONSTRAINT ${name} ${baseDef(con.def)} NOT VALID`,
      lock: con.type === 'f' ? 'SHARE ROW EXCLUSIVE' : 'ACCESS EXCLUSIVE',
      note: 'instant: no scan',
    });
    if (con.validated)
      out.push({
        sql: `ALTER TABLE ${table.sql} VALIDATE CONSTRAINT ${name}`,
        lock: 'SHARE UPDATE EXCLUSIVE',
        transaction: false,
        note: 'scans without blocking reads or writes',
      });
  } else if ((con.type === 'u' || con.type === 'p') && con.index) {
    out.push(...indexActions({ ...con.index, comment: null }));
    const what = con.type === 'p' ? 'PRIMARY KEY' : 'UNIQUE';
    out.push({
      sql: `ALTER TABLE ${table.sql} ADD CONSTRAINT ${name} ${what} USING INDEX ${quoteIdent(con.index.name)}${deferrable(con)}`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'instant: the index is already built',
    });
  } else if (con.type === 'n') {
    out.push(...notNullActions(table, con.columns[0]));
  }
  if (con.comment != null)
    out.push({
      sql: `COMMENT ON CONSTRAINT ${name} ON ${table.sql} IS ${quoteLiteral(con.comment)}`,
      lock: 'ACCESS EXCLUSIVE',
    });
  return out;
}

/** Refuse constraints that cannot be rebuilt without a long lock (exclusion, constraint triggers). */
export function unrestorableReason(con: Pick<ConstraintDef, 'type' | 'name'>): string | undefined {
  if (con.type === 'x')
    return `exclusion constraint "${con.name}" cannot be rebuilt without a long ACCESS EXCLUSIVE lock (PostgreSQL has no ADD CONSTRAINT … EXCLUDE USING INDEX)`;
  if (con.type === 't') return `constraint trigger "${con.name}" cannot be archived`;
  return undefined;
}

/** The expression of a `CHECK (…)` definition. */
export function checkExpression(def: string): string | undefined {
  return /^CHECK \((.*)\)(?:\s+NO INHERIT)?(?:\s+NOT VALID)?$/s.exec(def)?.[1];
}

/** A VALIDATE stopped by data: which rows (CHECK, with a sample) or the first offending key (FOREIGN KEY). */
async function explainValidation(ctx: StepContext, table: RelationRef, con: ConstraintDef, e: unknown): Promise<never> {
  const code = sqlState(e);
  if (code !== '23514' && code !== '23503') throw e;
  const hint = `The constraint is back as NOT VALID (it checks new writes). Fix the rows, then run the rollback again to validate it.`;
  const expr = con.type === 'c' ? checkExpression(con.def) : undefined;
  if (expr) {
    const v = await checkViolations(ctx, { schema: table.schema, name: table.name }, con.name, expr);
    if (v) throw violationError(ctx, v, `restore constraint "${con.name}"`, hint);
  }
  const pe = e as { message: string; detail?: string };
  throw new StepFailedError(
    ctx.step.id,
    `cannot restore constraint "${con.name}" on ${table.display}: ${pe.message}${pe.detail ? ` (${pe.detail})` : ''}`,
    hint,
  );
}

async function constraintState(
  ctx: StepContext,
  tableOid: number,
  name: string,
): Promise<{ validated: boolean } | null> {
  const r = await ctx.db.rows<{ convalidated: boolean }>(
    `SELECT convalidated FROM pg_constraint WHERE conrelid = $1 AND conname = $2`,
    [tableOid, name],
  );
  return r[0] ? { validated: r[0].convalidated } : null;
}

/** Restore one constraint lock-safely; each stage checks the catalog first. */
export async function restoreConstraint(
  ctx: StepContext,
  table: RelationRef,
  con: ConstraintDef,
  key: readonly KeyColumn[],
): Promise<void> {
  const why = unrestorableReason(con);
  if (why) throw new StepFailedError(ctx.step.id, why);
  const label = `step "${ctx.step.id}": constraint ${con.name}`;
  let st = await constraintState(ctx, table.oid, con.name);
  if (con.type === 'n') {
    await restoreNotNull(ctx, table, con.columns[0], key, con.name);
    return;
  }
  const actions = constraintActions(table, { ...con, comment: null });
  if (con.type === 'c' || con.type === 'f') {
    if (!st) await ctx.tx(label, (c) => c.query(actions[0].sql));
    st = await constraintState(ctx, table.oid, con.name);
    if (con.validated && !st?.validated) {
      try {
        await ctx.waiting(label, actions[1].sql);
      } catch (e) {
        await explainValidation(ctx, table, con, e);
      }
    }
  } else if ((con.type === 'u' || con.type === 'p') && con.index) {
    if (!st) {
      if (con.type === 'p') {
        for (const col of con.columns) await restoreNotNull(ctx, table, col, key);
      }
      await buildIndexConcurrently(ctx, con.index.schema, con.index.name, concurrentIndexSql(con.index.def));
      await ctx.tx(label, (c) => c.query(actions[actions.length - 1].sql));
    }
  }
  if (con.comment != null) {
    await ctx.tx(label, (c) =>
      c.query(`COMMENT ON CONSTRAINT ${quoteIdent(con.name)} ON ${table.sql} IS ${quoteLiteral(con.comment!)}`),
    );
  }
}
