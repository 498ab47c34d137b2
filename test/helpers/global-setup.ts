/**
 * One PostgreSQL for the whole test run: an embedded server by default, or the server of
 * TIDEMARK_TEST_DATABASE_URL when set (the suite then runs against, e.g., the machine's PostgreSQL 15).
 * Each test file creates its own database on it (see db.ts).
 */
import type { TestProject } from 'vitest/node';
import { type EmbeddedServer, startEmbedded } from '../../src/db/embedded.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgExternal: boolean;
  }
}

let server: EmbeddedServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  const external = process.env.TIDEMARK_TEST_DATABASE_URL;
  if (external) {
    project.provide('pgAdminUrl', external);
    project.provide('pgExternal', true);
    return;
  }
  server = await startEmbedded();
  project.provide('pgAdminUrl', server.url);
  project.provide('pgExternal', false);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
