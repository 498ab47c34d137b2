/**
 * One PostgreSQL for the whole test run: an embedded server by default, or the server of
 * TIDEMARK_TEST_DATABASE_URL when set (the suite then runs against, e.g., the machine's PostgreSQL 15).
 * Each test file creates its own database on it (see db.ts).
 *
 * TIDEMARK_TEST_PG_MAJOR (15, 16, 17 or 18) picks the embedded server's major (docs/embedded.md,
 * "Other majors"); with either server, the run stops at once when the server is not that major, so a
 * matrix pass can never run quietly on the wrong version.
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { type EmbeddedServer, startEmbedded } from '../../src/db/embedded.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgExternal: boolean;
  }
}

let server: EmbeddedServer | undefined;

function requestedMajor(): number | undefined {
  const raw = process.env.TIDEMARK_TEST_PG_MAJOR;
  if (!raw) return undefined;
  const major = Number(raw);
  if (!Number.isInteger(major) || major < 10) {
    throw new Error(`TIDEMARK_TEST_PG_MAJOR must be a PostgreSQL major such as 15 or 18, not ${JSON.stringify(raw)}`);
  }
  return major;
}

async function assertMajor(url: string, major: number | undefined): Promise<void> {
  if (major === undefined) return;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const num = Number(
      (await c.query<{ server_version_num: string }>('SHOW server_version_num')).rows[0].server_version_num,
    );
    if (Math.floor(num / 10_000) !== major) {
      throw new Error(
        `TIDEMARK_TEST_PG_MAJOR=${major} but the test server is PostgreSQL ${Math.floor(num / 10_000)} (server_version_num ${num}): refusing to run the suite on the wrong major`,
      );
    }
  } finally {
    await c.end();
  }
}

export async function setup(project: TestProject): Promise<void> {
  const major = requestedMajor();
  const external = process.env.TIDEMARK_TEST_DATABASE_URL;
  if (external) {
    await assertMajor(external, major);
    project.provide('pgAdminUrl', external);
    project.provide('pgExternal', true);
    return;
  }
  server = await startEmbedded({ major });
  try {
    await assertMajor(server.url, major);
  } catch (e) {
    await server.stop();
    throw e;
  }
  project.provide('pgAdminUrl', server.url);
  project.provide('pgExternal', false);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
