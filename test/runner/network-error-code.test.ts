/**
 * A step cut off by the network (the connection reset under it) fails naming Node's error code as
 * what it is — `[node error ECONNRESET]` — never as a SQLSTATE, which it is not.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
let proxy: net.Server;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  url = await createTestDatabase('network_error_code');
  const target = new URL(url);
  // A TCP proxy on 127.0.0.1 whose client sides the test can reset (RST), as a failing network does.
  proxy = net.createServer((client) => {
    const server = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
    client.pipe(server).pipe(client);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
});
afterAll(() => proxy.close());

describe('network errors', () => {
  it('[SQLSTATE ECONNRESET] no more: a reset connection fails the step with [node error ECONNRESET]', async () => {
    const through = new URL(url);
    through.hostname = '127.0.0.1';
    through.port = String((proxy.address() as net.AddressInfo).port);
    const file = writePlan(tempDir(), `{ id: 'reset', expand: [sql({ id: 'sleepy', up: 'SELECT pg_sleep(60)' })] }`);
    const run = runFile(file, { databaseUrl: through.toString() });
    for (let i = 0; i < 600; i++) {
      const busy = await query(
        url,
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query = 'SELECT pg_sleep(60)' AND state = 'active'`,
      );
      if (busy.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const s of sockets) s.resetAndDestroy();
    const r = await run;
    expect(r.exitCode).toBe(1);
    const text = `${r.message}\n${r.events.map((e) => JSON.stringify(e)).join('\n')}`;
    expect(text).toContain('[node error ECONNRESET]');
    expect(text).not.toContain('SQLSTATE ECONNRESET');
  });
});
