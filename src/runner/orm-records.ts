/**
 * Keeping the ORMs' own history true for a plan's `records` (docs/orm-records.md): written before
 * the plan's first step runs (and checked again on every later run), removed by a whole-plan
 * rollback. Each ORM row commits in the same transaction as the ledger's note of it — never one
 * without the other — under the lock policy, since creating an ORM's table is DDL.
 */
import { withLockRetry } from '../db/lock-safe.js';
import type { Ledger } from '../ledger/ledger.js';
import { activeOrmRecords, markOrmRecordRemoved, saveOrmRecord } from '../ledger/orm-records.js';
import type { OrmRecord, OrmTool, Plan } from '../model/plan.js';
import type { Session } from './context.js';
import { alembicWriter } from './orm-alembic.js';
import { drizzleWriter } from './orm-drizzle.js';
import { prismaWriter } from './orm-prisma.js';
import type { OrmWriter } from './orm-writer.js';

const WRITERS: Record<OrmTool, OrmWriter> = {
  prisma: prismaWriter as OrmWriter,
  drizzle: drizzleWriter as OrmWriter,
  alembic: alembicWriter as OrmWriter,
};

const label = (r: { tool: string; migration: string }) => `${r.tool} migration "${r.migration}"`;

/** Write the plan's records the ledger does not hold yet; idempotent. */
export async function writeOrmRecords(s: Session & { ledger: Ledger }, plan: Plan, runId: number): Promise<void> {
  if (!plan.records?.length) return;
  const held = new Set((await activeOrmRecords(s.ledger, plan.id)).map((r) => `${r.tool}:${r.migration}`));
  const todo = plan.records.filter((r) => !held.has(`${r.tool}:${r.migration}`));
  if (!todo.length) return;
  const wrote: OrmRecord[] = [];
  await withLockRetry(
    s.db,
    s.policy,
    { what: `the ORM records of plan "${plan.id}"`, onEvent: (e) => s.emit(e) },
    async (c) => {
      wrote.length = 0;
      for (const r of todo) {
        const out = await WRITERS[r.tool].write(c, r);
        await saveOrmRecord(
          s.ledger,
          { planId: plan.id, tool: r.tool, migration: r.migration, detail: out.detail, runId },
          c,
        );
        if (out.wrote) wrote.push(r);
      }
    },
  );
  for (const r of todo)
    s.emit({
      type: 'notice',
      level: 'info',
      message: wrote.includes(r)
        ? `recorded ${label(r)} as applied in ${WRITERS[r.tool].where}`
        : `${label(r)} was already applied in ${WRITERS[r.tool].where}: nothing written`,
    });
}

/** Remove every record the plan wrote (a whole-plan rollback). */
export async function removeOrmRecords(s: Session & { ledger: Ledger }, plan: Plan): Promise<void> {
  const rows = await activeOrmRecords(s.ledger, plan.id);
  if (!rows.length) return;
  const removed: boolean[] = [];
  await withLockRetry(
    s.db,
    s.policy,
    { what: `removing the ORM records of plan "${plan.id}"`, onEvent: (e) => s.emit(e) },
    async (c) => {
      removed.length = 0;
      for (const r of rows) {
        const w = WRITERS[r.tool as OrmTool];
        removed.push(w ? await w.remove(c, r.detail, r.migration) : false);
        await markOrmRecordRemoved(s.ledger, plan.id, r.tool, r.migration, c);
      }
    },
  );
  for (const [i, r] of rows.entries())
    s.emit({
      type: 'notice',
      level: 'info',
      message: removed[i]
        ? `removed the record of ${label(r)} from ${WRITERS[r.tool as OrmTool].where}`
        : `${label(r)}: nothing of Tidemark's left to remove from ${WRITERS[r.tool as OrmTool]?.where ?? r.tool}`,
    });
}
