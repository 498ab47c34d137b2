/**
 * `node --import ./record-loads.mjs …`: writes to $TIDEMARK_RECORD_LOADS, one per line, every
 * module the process loads (the URL each ESM import resolves to) and every file it reads with
 * `readFileSync` (how the HTML report inlines uPlot). test/cli/startup.test.ts uses it to see which
 * modules a command loads; see docs/architecture.md, "Start-up".
 */
import fs from 'node:fs';
import { register, syncBuiltinESMExports } from 'node:module';

const out = process.env.TIDEMARK_RECORD_LOADS;
if (out) {
  // The resolve hook runs on the loader's own thread: it writes to the file itself.
  const hooks = `
    import { appendFileSync } from 'node:fs';
    let out;
    export function initialize(data) { out = data.out; }
    export async function resolve(specifier, context, next) {
      const r = await next(specifier, context);
      appendFileSync(out, 'module ' + r.url + '\\n');
      return r;
    }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { out } });
  const readFileSync = fs.readFileSync;
  fs.readFileSync = function recordedReadFileSync(path, ...rest) {
    if (typeof path === 'string' || path instanceof URL) fs.appendFileSync(out, `read ${String(path)}\n`);
    return readFileSync.call(this, path, ...rest);
  };
  // `import { readFileSync } from 'node:fs'` binds the recorded function too.
  syncBuiltinESMExports();
}
