/**
 * Feature flags that `gate.flag` reads (`tidemark flag set|list`): recorded in the ledger with who
 * set them and when, every change kept in `flag_history`.
 */

import type { Ledger } from '../ledger/ledger.js';
import { openLedger } from '../ledger/open.js';
import { listFlags as flagRows, setFlag as writeFlag } from '../ledger/records.js';
import { UsageError } from '../model/errors.js';
import { defaultActor } from '../runner/open.js';
import { type LedgerOptions, withDb } from './ledger-options.js';

/** A flag's current value. */
export interface FlagState {
  name: string;
  enabled: boolean;
  setBy: string;
  setAt: Date;
}

/** Letters, digits and `_ . : -`. */
export const FLAG_NAME = /^[A-Za-z0-9_.:-]+$/;

/** Throw a UsageError (exit 2) unless `name` is a valid flag name. */
export function checkFlagName(name: string): void {
  if (!FLAG_NAME.test(name))
    throw new UsageError(
      `flag name "${name}" must use letters, digits, _ . : -`,
      'Rename the flag (and the gate.flag that reads it).',
    );
}

/**
 * Turn a flag on or off, recorded with `actor` (default: `$TIDEMARK_ACTOR`, else OS user@host).
 * Creates the ledger when the database has none yet. Returns the flag as now recorded.
 */
export async function setFlag(
  name: string,
  enabled: boolean,
  o: LedgerOptions & { actor?: string },
): Promise<FlagState> {
  checkFlagName(name);
  if (typeof enabled !== 'boolean')
    throw new UsageError(`flag "${name}": enabled must be true or false, got ${JSON.stringify(enabled)}`);
  return withDb(o, 'tidemark:flag', async (db, schema) => {
    const { ledger } = await openLedger(db, schema, { install: true });
    await writeFlag(ledger, name, enabled, o.actor ?? defaultActor());
    return (await readFlags(ledger)).find((f) => f.name === name)!;
  });
}

/** Every flag, by name; none when the database has no ledger yet (which is not created). */
export async function listFlags(o: LedgerOptions): Promise<FlagState[]> {
  return withDb(o, 'tidemark:flag', async (db, schema) => {
    const { ledger } = await openLedger(db, schema);
    return ledger ? readFlags(ledger) : [];
  });
}

async function readFlags(l: Ledger): Promise<FlagState[]> {
  return (await flagRows(l)).map((r) => ({ name: r.name, enabled: r.enabled, setBy: r.set_by, setAt: r.set_at }));
}
