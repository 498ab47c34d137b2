/**
 * Installing and upgrading the ledger. Installation runs in one transaction under a transaction-level
 * advisory lock, so two first runs on an empty database never race on `CREATE SCHEMA`.
 * Nothing here runs for `plan`, `status`, `lint` or `--dry-run`.
 */
import type { Db } from '../db/connection.js';
import { quoteIdent } from '../sql/ident.js';
import { LEDGER_MIGRATIONS, LEDGER_VERSION } from './schema.js';

/** Advisory lock key (two int4) for the install of a given ledger schema. */
export function installLockKey(schema: string): [number, number] {
  return [0x7d3a_4b1, hashInt(`install:${schema}`)];
}

/** A stable 32-bit signed hash of a string (FNV-1a). */
export function hashInt(s: string): number {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(s, 'utf8')) {
    h ^= ch;
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** The installed ledger version, or 0 when the schema or its meta table does not exist. */
export async function ledgerVersion(db: Db, schema: string): Promise<number> {
  const r = await db.rows<{ reg: string | null }>(`SELECT to_regclass($1) AS reg`, [`${quoteIdent(schema)}.meta`]);
  if (!r[0].reg) return 0;
  const v = await db.rows<{ value: string }>(`SELECT value FROM ${quoteIdent(schema)}.meta WHERE key = 'version'`);
  return v.length ? Number(v[0].value) : 0;
}

/** Create or upgrade the ledger in place. Safe to call concurrently from several runners. */
export async function installLedger(db: Db, schema: string): Promise<{ from: number; to: number }> {
  const q = quoteIdent(schema);
  return db.transaction(async (client) => {
    const [k1, k2] = installLockKey(schema);
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [k1, k2]);
    await client.query(`SET LOCAL lock_timeout = '30s'`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${q}`);
    const reg = await client.query<{ reg: string | null }>(`SELECT to_regclass($1) AS reg`, [`${q}.meta`]);
    let from = 0;
    if (reg.rows[0].reg) {
      const v = await client.query<{ value: string }>(`SELECT value FROM ${q}.meta WHERE key = 'version'`);
      from = v.rows.length ? Number(v.rows[0].value) : 0;
    }
    if (from > LEDGER_VERSION) {
      throw new Error(
        `the ledger in schema "${schema}" is version ${from}, newer than this Tidemark understands (${LEDGER_VERSION}); upgrade Tidemark`,
      );
    }
    for (let v = from; v < LEDGER_VERSION; v++) {
      await client.query(LEDGER_MIGRATIONS[v].replaceAll('{{schema}}', q));
    }
    if (from < LEDGER_VERSION) {
      await client.query(
        `INSERT INTO ${q}.meta (key, value) VALUES ('version', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
        [String(LEDGER_VERSION)],
      );
    }
    return { from, to: LEDGER_VERSION };
  });
}
