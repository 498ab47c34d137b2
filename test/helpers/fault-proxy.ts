/**
 * A fault-injecting TCP proxy on 127.0.0.1 in front of the test PostgreSQL: it forwards bytes both
 * ways and, once armed, cuts the first connection whose client bytes carry a marker (the text of a
 * statement: PostgreSQL's wire protocol sends SQL as plain text in Query and Parse messages).
 * `before` drops the statement (it never runs); `after` lets it run and cuts the connection when
 * the server answers (the statement ran — a COMMIT committed — but the client never hears it).
 * After one cut the proxy is disarmed and forwards everything, so the runner's own error handling
 * (recording the failure in the ledger) can reach the database.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** When to cut relative to the statement carrying the marker. */
export type CutWhen = 'before' | 'after';

export interface FaultProxy {
  /** `url` with its host and port replaced by the proxy's. */
  url: string;
  /** Cut the connection carrying the `nth` (1-based) occurrence of `marker` from now on. */
  arm(marker: string, o?: { nth?: number; when?: CutWhen }): void;
  /** Connections cut so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

interface Armed {
  marker: Buffer;
  left: number;
  when: CutWhen;
}

/** Start a proxy to the server of `url`. */
export async function startFaultProxy(url: string): Promise<FaultProxy> {
  const target = new URL(url);
  const host = target.hostname === 'localhost' ? '127.0.0.1' : target.hostname;
  const port = Number(target.port || 5432);
  let armed: Armed | null = null;
  let cuts = 0;
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    const upstream = connect(port, host);
    sockets.add(client);
    sockets.add(upstream);
    let tail = Buffer.alloc(0);
    let cutOnReply = false;
    const cut = () => {
      cuts++;
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      // Keep the end of the previous chunk, so a marker split across two chunks is still seen.
      const seen = Buffer.concat([tail, chunk]);
      const from = Math.max(0, tail.length - (armed?.marker.length ?? 0) + 1);
      tail = seen.subarray(Math.max(0, seen.length - 256));
      const a = armed;
      // Only a marker that ends in this chunk counts (one already seen in the tail does not).
      if (a && seen.indexOf(a.marker, from) >= 0) {
        a.left--;
        if (a.left === 0) {
          armed = null;
          if (a.when === 'before') return cut();
          cutOnReply = true;
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cutOnReply) return cut();
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const through = new URL(url);
  through.hostname = '127.0.0.1';
  through.port = String((server.address() as { port: number }).port);
  return {
    url: through.toString(),
    arm(marker, o = {}) {
      armed = { marker: Buffer.from(marker), left: o.nth ?? 1, when: o.when ?? 'before' };
    },
    get cuts() {
      return cuts;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
