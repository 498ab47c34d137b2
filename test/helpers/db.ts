/**
 * Per-file test databases on the run's server, plus small query helpers. Tests assert by catalog
 * queries and SQLSTATE codes, never by mocking the database.
 */

import pg from 'pg';
import { inject } from 'vitest';
import { quoteIdent } from '../../src/sql/ident.js';

/** Admin URL of the run's server. */
export function adminUrl(): string {
  return inject('pgAdminUrl');
}

/** URL of `database` on the same server as `base`. */
export function withDatabase(base: string, database: string): string {
  const u = new URL(base);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** Create (or recreate) a database for one test file and return its URL. Names are prefixed `tm_test_`. */
export async function createTestDatabase(name: string): Promise<string> {
  const db = `tm_test_${(process.env.TIDEMARK_TEST_DB_PREFIX ?? '') + name}`
    .replace(/[^a-z0-9_]/gi, '_')
    .toLowerCase()
    .slice(0, 63);
  const c = new pg.Client({ connectionString: adminUrl() });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(db)} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${quoteIdent(db)}`);
  } finally {
    await c.end();
  }
  return withDatabase(adminUrl(), db);
}

/** A client for assertions; remember to `end()` it (or use {@link query}). */
export async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

/** Run one statement on a fresh connection and return its rows. */
export async function query<R extends pg.QueryResultRow = Record<string, unknown>>(
  url: string,
  sql: string,
  params?: unknown[],
): Promise<R[]> {
  const c = await connect(url);
  try {
    return (await c.query<R>(sql, params)).rows;
  } finally {
    await c.end();
  }
}
