/**
 * What the ledger-reading and flag functions of the public API take: the database and the ledger
 * schema, resolved as everywhere else (`ledgerSchemaOf`: option, then `config.ledgerSchema`, then `tidemark`).
 */
import { Db } from '../db/connection.js';
import { ledgerSchemaOf } from '../ledger/open.js';
import type { ConnectOptions } from '../runner/open.js';

/** The database and where its ledger lives. */
export type LedgerOptions = Pick<ConnectOptions, 'databaseUrl' | 'ledgerSchema' | 'config'>;

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
