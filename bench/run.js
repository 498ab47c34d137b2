#!/usr/bin/env node
/**
 * `npm run bench [-- NAME…]`: runs every bench/*.bench.js (or those whose name contains one of the
 * arguments) one after another and prints their ratios. Each benchmark is a plain ESM module
 * exporting `default async function (ctx)`, where ctx gives a PostgreSQL server (embedded, or
 * TIDEMARK_BENCH_DATABASE_URL) and `report(lines)` to print a result table.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startEmbedded } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => !filters.length || filters.some((x) => f.includes(x)))
  .sort();
if (!files.length) {
  console.error(`no benchmark matches ${filters.join(', ')}`);
  process.exit(2);
}
const external = process.env.TIDEMARK_BENCH_DATABASE_URL;
const server = external ? undefined : await startEmbedded();
const adminUrl = external ?? server.url;
console.log(
  `PostgreSQL: ${external ? 'external server (TIDEMARK_BENCH_DATABASE_URL)' : 'embedded'} · node ${process.version}`,
);
let failed = false;
try {
  for (const f of files) {
    console.log(`\n=== ${f.replace('.bench.js', '')} ===`);
    const mod = await import(pathToFileURL(join(here, f)).href);
    const t = performance.now();
    try {
      await mod.default({
        adminUrl,
        async createDatabase(name) {
          const pg = (await import('pg')).default;
          const c = new pg.Client({ connectionString: adminUrl });
          await c.connect();
          await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
          await c.query(`CREATE DATABASE "${name}"`);
          await c.end();
          const u = new URL(adminUrl);
          u.pathname = `/${name}`;
          return u.toString();
        },
        report(rows) {
          console.table(rows);
        },
        log: (...a) => console.log(...a),
      });
    } catch (e) {
      failed = true;
      console.error(`benchmark ${f} failed:`, e);
    }
    console.log(`(${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }
} finally {
  await server?.stop();
}
process.exit(failed ? 1 : 0);
