// Runs a plan in a child process (so a test can kill -9 it): node child-run.mjs <plan file> <database url> [config JSON].
// Prints one NDJSON line per event; exits with the run's exit code.
import { loadPlan, runPlan } from '../../dist/index.js';

const [file, databaseUrl, config] = process.argv.slice(2);
const plan = await loadPlan(file);
const r = await runPlan(plan, {
  databaseUrl,
  ...(config ? { config: JSON.parse(config) } : {}),
  events: (e) => process.stdout.write(`${JSON.stringify(e)}\n`),
});
if (r.message) process.stderr.write(`${r.message}\n`);
process.exit(r.exitCode);
