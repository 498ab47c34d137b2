/**
 * Database-aware linting, only with an explicit `--database-url`: waive findings on tables that
 * are small (or empty) right now, add row counts to the rest, and run the database rules
 * (long-running transactions, row-level security). Read-only: the session is
 * `default_transaction_read_only`, nothing is created, the ledger is never touched.
 */
import pg from 'pg';
import { clientConfig } from '../db/client-config.js';
import { UsageError } from '../model/errors.js';
import { quoteIdent } from '../sql/ident.js';
import { redactText, redactUrl } from '../sql/redact.js';
import type { RangeVar } from './ast.js';
import type { LintConfig } from './config.js';
import type { Finding, Level } from './finding.js';
import type { DatabaseRule, TableTouch } from './rule.js';

type TableRef = Pick<RangeVar, 'schemaname' | 'relname'>;

/** Open a read-only session for lint. */
export async function connectReadOnly(url: string): Promise<pg.Client> {
  const client = new pg.Client(
    clientConfig(url, { application_name: 'tidemark lint', statement_timeout: 10_000 }, '--database-url'),
  );
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SET default_transaction_read_only = on');
  } catch (e) {
    await client.end().catch(() => undefined);
    throw new UsageError(`lint: cannot connect to ${redactUrl(url)}: ${redactText((e as Error).message)}`);
  }
  return client;
}

/** Rows in a table now: the planner's estimate, or an exact count when never analyzed and not huge. null = no such table. */
async function tableRows(db: pg.Client, t: TableRef): Promise<number | null> {
  const rel = t.schemaname ? `${quoteIdent(t.schemaname)}.${quoteIdent(t.relname)}` : quoteIdent(t.relname);
  const r = await db.query<{ est: number; bytes: string; kind: string }>(
    `SELECT c.reltuples::float8 AS est, pg_total_relation_size(c.oid)::text AS bytes, c.relkind AS kind FROM pg_class c WHERE c.oid = to_regclass($1)`,
    [rel],
  );
  const row = r.rows[0];
  if (!row) return null;
  // Estimates are good for big tables; for small or never-analyzed ones an exact count is cheap.
  if (row.est >= 0 && row.est > 1_000_000) return Math.round(row.est);
  if (Number(row.bytes) > 512 * 1024 * 1024) return row.est >= 0 ? Math.round(row.est) : Number.MAX_SAFE_INTEGER;
  try {
    const c = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${rel}`);
    return Number(c.rows[0].n);
  } catch {
    return row.est >= 0 ? Math.round(row.est) : null;
  }
}

/** The planner's estimate of the rows a data-changing statement touches (EXPLAIN: planned, never run), or null. */
async function estimatedRows(db: pg.Client, sql: string): Promise<number | null> {
  try {
    const r = await db.query<{
      'QUERY PLAN': { Plan: { 'Plan Rows'?: number; Plans?: { 'Plan Rows'?: number }[] } }[];
    }>(`EXPLAIN (FORMAT JSON) ${sql}`);
    const plan = r.rows[0]['QUERY PLAN'][0].Plan;
    const rows = plan.Plans?.[0]?.['Plan Rows'] ?? plan['Plan Rows'];
    return typeof rows === 'number' ? rows : null;
  } catch {
    // It names something that does not exist yet (created earlier in the file): the table size decides.
    return null;
  }
}

/** Waive size-sensitive findings on small tables; note the row count on the others. */
export async function applyTableSizes(
  db: pg.Client,
  findings: Finding[],
  tables: Map<Finding, { table: TableRef; waivable?: 'small' | 'empty'; estimate?: string }>,
  config: LintConfig,
): Promise<{ kept: Finding[]; waived: Finding[] }> {
  const cache = new Map<string, number | null>();
  const kept: Finding[] = [];
  const waived: Finding[] = [];
  for (const f of findings) {
    const t = tables.get(f);
    if (!t) {
      kept.push(f);
      continue;
    }
    const k = `${t.table.schemaname ?? ''}.${t.table.relname}`;
    const touched = t.estimate ? await estimatedRows(db, t.estimate) : null;
    if (touched === null && !cache.has(k)) cache.set(k, await tableRows(db, t.table));
    const rows = touched ?? cache.get(k)!;
    if (rows === null) {
      kept.push(f);
      continue;
    }
    const small = t.waivable === 'small' && rows < config.smallTableRows;
    const empty = t.waivable === 'empty' && rows === 0;
    if (!f.suppressed && (small || empty)) {
      waived.push({
        ...f,
        waived: empty
          ? `"${f.table}" is empty`
          : touched !== null
            ? `it touches ~${rows.toLocaleString('en-US')} rows by the planner's estimate (below smallTableRows ${config.smallTableRows.toLocaleString('en-US')})`
            : `"${f.table}" has ${rows.toLocaleString('en-US')} rows (below smallTableRows ${config.smallTableRows.toLocaleString('en-US')})`,
      });
    } else {
      const now = touched !== null ? 'rows touched, by the planner' : 'rows now';
      kept.push(t.waivable ? { ...f, message: `${f.message} (~${rows.toLocaleString('en-US')} ${now})` } : f);
    }
  }
  return { kept, waived };
}

/** Run the database rules over the touched tables. */
export async function runDatabaseRules(
  db: pg.Client,
  rules: readonly { rule: DatabaseRule; level: Level }[],
  touches: readonly TableTouch[],
  config: LintConfig,
): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const { rule, level } of rules) {
    await rule.check(db, touches, config, (touch, d) => {
      const sup = touch.suppressions.find((x) => x.rules.includes(rule.id));
      out.push({
        ...(sup ? { suppressed: { reason: sup.reason, line: sup.line, scope: sup.scope } } : {}),
        ...touch.at,
        rule: rule.id,
        level:
          config.rules[rule.id] && config.rules[rule.id] !== 'off'
            ? (config.rules[rule.id] as Level)
            : (d.level ?? level),
        message: d.message,
        ...(d.help ? { help: d.help } : {}),
        table: touch.table.schemaname ? `${touch.table.schemaname}.${touch.table.relname}` : touch.table.relname,
      });
    });
  }
  return out;
}
