/**
 * Where the fleet's coordinator is: `--coordinator URL`, or an embedded PostgreSQL kept under
 * `.tidemark/fleet/` in the working directory (docs/fleet.md). Runners on one machine share that
 * one server: the first starts it, the others connect to it while it runs.
 */
import { join } from 'node:path';
import { attachEmbedded, startEmbedded } from '../db/embedded.js';
import { Coordinator, type CoordinatorOptions } from './coordinator.js';

/**
 * Wait (up to `ms`) until no other runner is connected to the embedded coordinator, so the one
 * that started it does not stop it under a `fleet work` that is reading the fleet run's end.
 */
async function othersGone(adminUrl: string, ms = 15_000): Promise<void> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: adminUrl });
  c.on('error', () => undefined);
  try {
    await c.connect();
    for (const t0 = Date.now(); Date.now() - t0 < ms; ) {
      const r = await c.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [DATABASE],
      );
      if (!r.rows[0]?.n) return;
      await new Promise((res) => setTimeout(res, 200));
    }
  } catch {
    /* the server is going anyway */
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The default coordinator's data directory, under `cwd`. */
export const embeddedCoordinatorDir = (cwd = process.cwd()) => join(cwd, '.tidemark', 'fleet');

const DATABASE = 'tidemark_fleet';

export interface OpenedCoordinator {
  coordinator: Coordinator;
  /** Where it is, for humans (redacted URL, or the embedded directory). */
  where: string;
  close(): Promise<void>;
}

/**
 * Open the coordinator. Without a URL, use the embedded one (started here when no other runner on
 * this machine has it running; stopped on close by the runner that started it).
 */
export async function openCoordinator(
  url: string | undefined,
  o: CoordinatorOptions & { cwd?: string } = {},
): Promise<OpenedCoordinator> {
  if (url) {
    const { redactUrl } = await import('../sql/redact.js');
    const coordinator = await Coordinator.open(url, o);
    return { coordinator, where: redactUrl(url), close: () => coordinator.close() };
  }
  const dir = embeddedCoordinatorDir(o.cwd);
  const running = attachEmbedded(dir);
  if (running) {
    const coordinator = await Coordinator.open(running.urlFor(DATABASE), o);
    return { coordinator, where: dir, close: () => coordinator.close() };
  }
  const server = await startEmbedded({ dir });
  try {
    const coordinator = await Coordinator.open(await server.ensureDatabase(DATABASE), o);
    return {
      coordinator,
      where: dir,
      async close() {
        await coordinator.close();
        await othersGone(server.url);
        await server.stop();
      },
    };
  } catch (e) {
    await server.stop();
    throw e;
  }
}
