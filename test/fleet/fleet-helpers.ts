/**
 * A fleet on the test server: N databases owned by a role with a password (so redaction is
 * tested), a coordinator database, a targets file that spells the password as ${VAR}.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quoteIdent } from '../../src/sql/ident.js';
import { adminUrl, createTestDatabase, query, withDatabase } from '../helpers/db.js';
import { BIN } from '../helpers/run.js';

export const PASSWORD = 'Fleet-S3cret-pw_91';
export const ROLE = `${process.env.TIDEMARK_TEST_DB_PREFIX ?? ''}fleet_owner`.toLowerCase().replace(/[^a-z0-9_]/g, '_');

/**
 * The role every fleet database belongs to (created once, password set). Test files run in
 * parallel and catalog updates of one role collide ("tuple concurrently updated"): retried.
 */
export async function ensureRole(): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await query(
        adminUrl(),
        `DO $$ BEGIN
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ROLE}') THEN CREATE ROLE ${quoteIdent(ROLE)} LOGIN; END IF;
         END $$`,
      );
      await query(adminUrl(), `ALTER ROLE ${quoteIdent(ROLE)} LOGIN PASSWORD '${PASSWORD}'`);
      return;
    } catch (e) {
      if (attempt >= 10) throw e;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 400));
    }
  }
}

/** URL of `db` as the role, password written out. */
export function roleUrl(db: string): string {
  const u = new URL(adminUrl());
  u.username = ROLE;
  u.password = PASSWORD;
  u.pathname = `/${db}`;
  return u.toString();
}

/** The same, with the password as `${FLEET_PW}` (as a targets file writes it). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the targets file's own syntax
export const envUrl = (db: string) => roleUrl(db).replace(encodeURIComponent(PASSWORD), '${FLEET_PW}');

/** Create a database owned by the role; returns its name and admin URL. */
export async function fleetDatabase(name: string): Promise<{ db: string; admin: string }> {
  const admin = await createTestDatabase(name);
  const db = new URL(admin).pathname.slice(1);
  await query(adminUrl(), `ALTER DATABASE ${quoteIdent(db)} OWNER TO ${quoteIdent(ROLE)}`);
  return { db, admin };
}

/** Seed an `accounts` table (owned by the role) with `n` rows; `nulls` of them without an email. */
export async function seedAccounts(admin: string, n: number, nulls = 0): Promise<void> {
  await query(
    admin,
    `CREATE TABLE accounts (id int PRIMARY KEY, email text);
     ALTER TABLE accounts OWNER TO ${quoteIdent(ROLE)};
     INSERT INTO accounts SELECT g, CASE WHEN g <= ${nulls} THEN NULL ELSE 'User' || g || '@Example.com' END FROM generate_series(1, ${n}) g;`,
  );
}

export function writeTargets(dir: string, dbs: { name: string; db: string }[], file = 'targets.txt'): string {
  const f = join(dir, file);
  writeFileSync(f, `# the fleet\n${dbs.map((d) => `${d.name} ${envUrl(d.db)}`).join('\n')}\n`);
  return f;
}

export const fleetEnv = { FLEET_PW: PASSWORD };

/** Start the built CLI in the background; `done` resolves with its exit and output. */
export function startCli(args: string[], cwd: string) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', CI: '1', ...fleetEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((res) =>
    child.on('close', (code, signal) => res({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Every text value in the coordinator's tables (Tidemark's and pg-boss's), for a password hunt. */
export async function coordinatorText(url: string): Promise<string> {
  const tables = await query<{ s: string; t: string }>(
    url,
    `SELECT table_schema AS s, table_name AS t FROM information_schema.tables
      WHERE table_schema IN ('tidemark_fleet', 'tidemark_fleet_queue') AND table_type = 'BASE TABLE'`,
  );
  let text = '';
  for (const { s, t } of tables) {
    const rows = await query<{ j: string }>(
      url,
      `SELECT row_to_json(x)::text AS j FROM ${quoteIdent(s)}.${quoteIdent(t)} x`,
    );
    text += rows.map((r) => r.j).join('\n');
  }
  return text;
}

export { withDatabase };
