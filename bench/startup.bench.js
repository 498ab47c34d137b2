/**
 * `npm run bench -- startup`: how long the CLI takes before it starts work. Spawns, in turns, a bare
 * `node -e 0`, `tidemark --version`, `tidemark --help`, `tidemark plan examples/wave1.plan.ts`,
 * `tidemark status` (both against a fresh database) and, for comparison, a process that imports the
 * whole public API (`dist/index.js`, what every command paid when everything loaded eagerly), and
 * prints the median wall time of each and its ratio to `node -e 0` (goal: `--version` and `--help`
 * under 3×, see docs/architecture.md).
 *
 * TIDEMARK_BENCH_STARTUP_COMPARE=DIR adds the same figures for another built checkout (DIR holds its
 * `bin/` and `dist/`), measured in the same turns, so before/after are side by side under the same
 * load. TIDEMARK_BENCH_STARTUP_ROUNDS sets the number of runs of each (default 11).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROUNDS = Number(process.env.TIDEMARK_BENCH_STARTUP_ROUNDS) || 11;
const here = fileURLToPath(new URL('..', import.meta.url));

/** The commands measured for one checkout, as [label, argv after node]. */
function commands(root, url) {
  const bin = join(root, 'bin', 'tidemark.js');
  const plan = join(root, 'examples', 'wave1.plan.ts');
  return [
    ['tidemark --version', [bin, '--version']],
    ['tidemark --help', [bin, '--help']],
    ['tidemark plan --help', [bin, 'plan', '--help']],
    ['tidemark plan <wave1>', [bin, 'plan', plan, '--database-url', url]],
    ['tidemark status', [bin, 'status', '--database-url', url]],
    [
      'import dist/index.js (everything)',
      [
        '--input-type=module',
        '-e',
        `await import(${JSON.stringify(pathToFileURL(join(root, 'dist', 'index.js')).href)})`,
      ],
    ],
  ];
}

function timeOnce(argv, cwd) {
  const t = performance.now();
  const r = spawnSync(process.execPath, argv, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', DATABASE_URL: '' },
  });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`node ${argv.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

export default async function bench(ctx) {
  const url = await ctx.createDatabase('tidemark_bench_startup');
  const compare = process.env.TIDEMARK_BENCH_STARTUP_COMPARE;
  const builds = [['this build', here]];
  if (compare) builds.push([`compare (${compare})`, resolve(compare)]);
  // A working directory without tidemark.config.ts, so every build reads the same (no) config.
  const cwd = mkdtempSync(join(tmpdir(), 'tidemark-startup-bench-'));
  try {
    const jobs = [{ build: '', label: 'node -e 0', argv: ['-e', '0'], times: [] }];
    for (const [build, root] of builds)
      for (const [label, argv] of commands(root, url)) jobs.push({ build, label, argv, times: [] });
    // Every job once per round, so a burst of load on the machine hits all of them alike.
    for (let round = 0; round < ROUNDS + 1; round++)
      for (const job of jobs) {
        const ms = timeOnce(job.argv, cwd);
        if (round > 0) job.times.push(ms); // round 0 warms the file cache
      }
    const base = median(jobs[0].times);
    const byLabel = new Map();
    for (const job of jobs) {
      const row = byLabel.get(job.label) ?? { command: job.label };
      const m = median(job.times);
      const col = job.build ? builds.findIndex(([b]) => b === job.build) : 0;
      const name = builds.length > 1 ? ` (${col === 0 ? 'this' : 'compare'})` : '';
      row[`ms${name}`] = Math.round(m);
      row[`× node${name}`] = `${(m / base).toFixed(1)}×`;
      byLabel.set(job.label, row);
    }
    ctx.report([...byLabel.values()]);
    const [l1] = loadavg();
    ctx.log(
      `median of ${ROUNDS} runs each; ${cpus().length} CPUs, load average ${l1.toFixed(1)}${compare ? `; compare = ${compare}` : ''} (goal: --version and --help under 3× node -e 0)`,
    );
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
