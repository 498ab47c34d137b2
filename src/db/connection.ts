/**
 * Connections. A {@link Db} is a small pool to one database plus the few helpers every part of
 * Tidemark needs. Values always travel as parameters; identifiers go through `quoteIdent`.
 */
import pg from 'pg';
import { redactUrl } from '../sql/redact.js';
import { clientConfig } from './client-config.js';

/** Options for opening a {@link Db}. */
export interface DbOptions {
  /** Shown in `pg_stat_activity.application_name` so others can see who holds what. */
  applicationName?: string;
  /** Pool size; the runner needs three: work, blocker sampling, progress. */
  max?: number;
  /** statement_timeout for ordinary statements (ms); 0 = none. */
  statementTimeoutMs?: number;
}

/** OID of `timestamp without time zone`. */
const TIMESTAMP_OID = 1114;

/**
 * Type parsers of Tidemark's connections: `timestamp without time zone` values are read as UTC
 * (the convention of Prisma, Drizzle and most ORMs, which store UTC there), so what a transform
 * receives and writes back never depends on the time zone of the machine running Tidemark.
 * (node-pg's default reads them as the machine's local time.) Everything else as node-pg does.
 */
export const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMP_OID && format !== 'binary') return (v: string) => parseUtcTimestamp(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** `2026-01-02 03:04:05.678` (or `… BC`, `infinity`) as that wall-clock time in UTC. */
export function parseUtcTimestamp(v: string): Date | string {
  if (v === 'infinity' || v === '-infinity') return v;
  const bc = v.endsWith(' BC');
  const m = /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?/.exec(bc ? v.slice(0, -3) : v);
  if (!m) return new Date(`${v}Z`);
  const year = bc ? 1 - Number(m[1]) : Number(m[1]);
  const ms = m[7] ? Math.floor(Number(m[7].padEnd(6, '0')) / 1000) : 0;
  const d = new Date(Date.UTC(2000, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms));
  d.setUTCFullYear(year);
  return d;
}

/** A queryable connection: a pooled client or the pool itself. */
export type Queryable = Pick<pg.PoolClient, 'query'>;

/** A pool to one database. */
export class Db {
  readonly pool: pg.Pool;
  /** The connection string with its password removed. */
  readonly displayUrl: string;
  private serverVersionNum?: number;

  constructor(
    readonly url: string,
    readonly options: DbOptions = {},
  ) {
    // Parsed (and its password registered for redaction) before anything is shown or connected.
    const config = clientConfig(url, {
      application_name: options.applicationName ?? 'tidemark',
      statement_timeout: options.statementTimeoutMs || undefined,
      types: TYPES,
    });
    this.displayUrl = redactUrl(url);
    this.pool = new pg.Pool({ ...config, max: options.max ?? 4, idleTimeoutMillis: 10_000 });
    // A dropped connection must not crash the process; the next query reports it.
    this.pool.on('error', () => undefined);
  }

  /** Run one statement on any pooled connection. */
  async query<R extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(sql, params as unknown[]);
  }

  /** Rows of one statement. */
  async rows<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]> {
    return (await this.pool.query<R>(sql, params as unknown[])).rows;
  }

  /** Borrow a client for several statements on the same session. */
  async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A backend terminated mid-query (pg_terminate_backend, failover) emits 'error' on the checked-out
    // client; without a listener that would crash the process instead of failing this call.
    const onError = () => undefined;
    client.on('error', onError);
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (e) {
      if (isConnectionError(e)) broken = e as Error;
      throw e;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  /** Run `fn` in one transaction; rolls back on error. No lock policy: see `lock-safe.ts` for DDL. */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        const out = await fn(client);
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  /** `server_version_num`, e.g. 150019. */
  async serverVersion(): Promise<number> {
    if (this.serverVersionNum === undefined) {
      const r = await this.rows<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
      this.serverVersionNum = Number(r[0].v);
    }
    return this.serverVersionNum;
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

/**
 * SQLSTATE of a database error, if it is one. A Node system error (`ECONNRESET`, `EPIPE`, …) also
 * has a `code`, but it is not a SQLSTATE: it carries `syscall`/`errno`, and is not five characters
 * of `[0-9A-Z]` (`EPIPE` is, hence both tests).
 */
export function sqlState(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || !('code' in e)) return undefined;
  const code = (e as { code: unknown }).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return undefined;
  return 'syscall' in e || 'errno' in e ? undefined : code;
}

/** `SQLSTATE 23505` for a database error, `node error ECONNRESET` for a system error, else undefined. */
export function errorCodeLabel(e: unknown): string | undefined {
  const state = sqlState(e);
  if (state) return `SQLSTATE ${state}`;
  const code = typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined;
  return typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code) ? `node error ${code}` : undefined;
}

/** True for errors that mean the connection itself is gone (so the client must not be reused). */
export function isConnectionError(e: unknown): boolean {
  const code = sqlState(e);
  if (code && (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03')) return true;
  const msg = e instanceof Error ? e.message : String(e);
  return /Connection terminated|ECONNRESET|ECONNREFUSED|EPIPE|Client has encountered a connection error|not queryable/i.test(
    msg,
  );
}
