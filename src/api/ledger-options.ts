/**
 * What the ledger-reading and flag functions of the public API take: the database and the ledger
 * schema, resolved as everywhere else (option, then `config.ledgerSchema`, then `tidemark`).
 */
import { Db } from '../db/connection.js';
import type { ConnectOptions } from '../runner/open.js';

/** The database and where its ledger lives. */
export type LedgerOptions = Pick<ConnectOptions, 'databaseUrl' | 'ledgerSchema' | 'config'>;

/** The ledger schema these options name. */
export function ledgerSchemaOf(o: LedgerOptions): string {
  return o.ledgerSchema ?? o.config?.ledgerSchema ?? 'tidemark';
}

/** Run `fn` with a small pool to the database, closed afterwards. */
export async function withDb<T>(
  o: LedgerOptions,
  applicationName: string,
  fn: (db: Db, schema: string) => Promise<T>,
): Promise<T> {
  const db = new Db(o.databaseUrl, { applicationName, max: 2 });
  try {
    return await fn(db, ledgerSchemaOf(o));
  } finally {
    await db.close();
  }
}
