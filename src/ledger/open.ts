/**
 * Where the ledger lives and how a command opens it: the default schema, the one resolver of the
 * schema a command uses (option, then `config.ledgerSchema`, then {@link DEFAULT_LEDGER_SCHEMA}),
 * and {@link openLedger}, which installs or upgrades the ledger only when asked (docs/ledger.md).
 */
import type { Db } from '../db/connection.js';
import { installLedger, ledgerVersion } from './install.js';
import { Ledger } from './ledger.js';

/** The schema the ledger lives in unless an option or the config names another. */
export const DEFAULT_LEDGER_SCHEMA = 'tidemark';

/** What names the ledger schema: a command's option, else the config's `ledgerSchema`. */
export interface LedgerSchemaChoice {
  ledgerSchema?: string;
  config?: { ledgerSchema?: string };
}

/** The ledger schema these options name (option, then config, then {@link DEFAULT_LEDGER_SCHEMA}). */
export function ledgerSchemaOf(o: LedgerSchemaChoice): string {
  return o.ledgerSchema ?? o.config?.ledgerSchema ?? DEFAULT_LEDGER_SCHEMA;
}

/** The ledger as opened, and the upgrade `install` made (`from` 0: created). */
export interface OpenedLedger {
  ledger: Ledger | undefined;
  installed?: { from: number; to: number };
}

/**
 * The ledger of `schema` in `db`. With `install`, it is created or upgraded first and always
 * returned; otherwise it is only read: undefined when the database has none (version 0), so
 * `status`, `report` and dry runs never create it.
 */
export async function openLedger(
  db: Db,
  schema: string,
  o: { install: true },
): Promise<{ ledger: Ledger; installed: { from: number; to: number } }>;
export async function openLedger(db: Db, schema: string, o?: { install?: boolean }): Promise<OpenedLedger>;
export async function openLedger(db: Db, schema: string, o: { install?: boolean } = {}): Promise<OpenedLedger> {
  if (o.install) {
    const installed = await installLedger(db, schema);
    return { ledger: new Ledger(db, schema), installed };
  }
  return { ledger: (await ledgerVersion(db, schema)) > 0 ? new Ledger(db, schema) : undefined };
}
