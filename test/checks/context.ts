/**
 * A read context for calling a check or gate kind directly, as the runner and the ops' pre-flights do.
 */
import { Db } from '../../src/db/connection.js';
import { DEFAULT_LOCK_POLICY } from '../../src/db/lock-policy.js';
import type { ReadContext, Settings } from '../../src/kind/step-kind.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import type { Plan, PlannedStep } from '../../src/model/plan.js';

/** A minimal plan around one step. */
export function planOf(id = 'checks-test', dir = process.cwd()): Plan {
  return { id, title: id, dir, steps: [], checksum: 'x' };
}

/** A read context on `db`; `extra` overrides any field. */
export function readCtx(
  db: Db,
  extra: Omit<Partial<ReadContext>, 'settings'> & { settings?: Partial<Settings> } = {},
): ReadContext {
  const plan = extra.plan ?? planOf();
  const step: PlannedStep = {
    phase: 'validate',
    index: 0,
    kind: 'check',
    id: 'step',
    title: 'step',
    options: { id: 'step' },
    checksum: 'x',
  };
  return {
    db,
    plan,
    step,
    ledgerSchema: 'tidemark',
    policy: DEFAULT_LOCK_POLICY,
    appliedSteps: new Set(),
    emit: () => undefined,
    ...extra,
    ledger: extra.ledger as Ledger | undefined,
    settings: {
      backfillTargetMs: 200,
      shadowThresholdRows: 1_000_000,
      approvals: [],
      actor: 'tester',
      ...extra.settings,
    },
  };
}

export { Db };
