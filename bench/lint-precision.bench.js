/**
 * `npm run bench -- lint-precision`: lint's precision and recall at error level on the hand-judged
 * corpus (test/fixtures/lint-corpus/manifest.json), judged per finding: for each file, the
 * expected error rules against the error rules found (true positive: expected and found; false
 * positive: found, not expected; false negative: expected, not found). Then throughput: the
 * corpus copied into a temp folder until it holds about 350 files, linted in-process after a
 * warm-up, and by the built CLI (`bin/tidemark.js lint`), whose total includes start-up; the CLI
 * on one tiny file gives that start-up. No database is used.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lint } from '../dist/lint/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const corpus = join(here, '..', 'test', 'fixtures', 'lint-corpus');
const cli = join(here, '..', 'bin', 'tidemark.js');
const TARGET_FILES = 350;

function errorRules(r) {
  return new Set(r.findings.filter((f) => f.level === 'error' && !f.suppressed).map((f) => f.rule));
}

function timeCli(args, cwd) {
  const t = performance.now();
  const p = spawnSync(process.execPath, [cli, 'lint', ...args], { cwd, encoding: 'utf8' });
  return { ms: performance.now() - t, status: p.status };
}

export default async function bench(ctx) {
  const { files } = JSON.parse(readFileSync(join(corpus, 'manifest.json'), 'utf8'));
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const misses = [];
  for (const entry of files) {
    const found = errorRules(await lint([entry.file], { cwd: corpus }));
    const expected = new Set(entry.errors);
    for (const r of found) {
      if (expected.has(r)) tp++;
      else {
        fp++;
        misses.push(`false positive ${r}: ${entry.file}`);
      }
    }
    for (const r of expected) {
      if (found.has(r)) continue;
      fn++;
      misses.push(`false negative ${r}: ${entry.file}`);
    }
  }
  const precision = tp / (tp + fp || 1);
  const recall = tp / (tp + fn || 1);
  ctx.report([
    {
      files: files.length,
      'expected errors': tp + fn,
      'found errors': tp + fp,
      'true pos': tp,
      'false pos': fp,
      'false neg': fn,
      precision: precision.toFixed(3),
      recall: recall.toFixed(3),
    },
  ]);
  for (const m of misses) ctx.log(m);

  const dir = mkdtempSync(join(tmpdir(), 'tidemark-lint-throughput-'));
  try {
    const copies = Math.ceil(TARGET_FILES / files.length);
    const roots = [];
    for (let k = 0; k < copies; k++) {
      const root = `copy${k}`;
      roots.push(root);
      for (const entry of files) {
        mkdirSync(dirname(join(dir, root, entry.file)), { recursive: true });
        cpSync(join(corpus, entry.file), join(dir, root, entry.file));
      }
      cpSync(join(corpus, 'drizzle', 'meta'), join(dir, root, 'drizzle', 'meta'), { recursive: true });
    }
    writeFileSync(join(dir, 'tiny.sql'), 'ALTER TABLE t ADD COLUMN c int;\n');
    await lint(roots, { cwd: dir });
    const runs = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const r = await lint(roots, { cwd: dir });
      runs.push({ ms: performance.now() - t, files: r.counts.files });
    }
    const best = Math.min(...runs.map((r) => r.ms));
    const median = runs.map((r) => r.ms).sort((a, b) => a - b)[2];
    const tiny = timeCli(['tiny.sql'], dir);
    const folder = timeCli(roots, dir);
    ctx.report([
      {
        files: runs[0].files,
        'in-process warm best ms': Math.round(best),
        'in-process warm median ms': Math.round(median),
        'CLI total ms': Math.round(folder.ms),
        'CLI one tiny file ms': Math.round(tiny.ms),
        'CLI minus start-up ms': Math.round(folder.ms - tiny.ms),
      },
    ]);
    ctx.log(`load average ${loadavg()[0].toFixed(1)} (wall times are inflated on a busy machine)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
