/**
 * `npm run bench -- lint`: generates 1,000 migration files (Prisma-style folders, a mix of safe and
 * unsafe DDL, 3–12 statements each) in a temp directory and times `lint()` over the folder, cold
 * (first run in the process: WebAssembly parser compiled and JIT not warm yet) and warm, in wall
 * time and in CPU time of the process (all threads). The goal: 1,000 files in under 2 s.
 * On a busy machine wall time is inflated by the other processes, so the load average is printed
 * next to the figures. No database is used.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lint } from '../dist/lint/index.js';

const FILES = 1000;

const SNIPPETS = [
  (i) =>
    `CREATE TABLE "T${i}" (\n    "id" UUID NOT NULL DEFAULT gen_random_uuid(),\n    "name" TEXT,\n    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,\n\n    CONSTRAINT "T${i}_pkey" PRIMARY KEY ("id")\n);`,
  (i) => `CREATE INDEX "T${i}_name_idx" ON "T${i}"("name");`,
  (i) => `ALTER TABLE "Message" ADD COLUMN "c${i}" TEXT;`,
  (i) => `CREATE INDEX "Message_c${i}_idx" ON "Message"("c${i}");`,
  (i) =>
    `ALTER TABLE "Lead" ADD CONSTRAINT "Lead_c${i}_fkey" FOREIGN KEY ("c${i}") REFERENCES "T${i}"("id") ON DELETE SET NULL ON UPDATE CASCADE;`,
  (i) =>
    `ALTER TABLE "Lead" ADD CONSTRAINT "Lead_c${i}_chk" CHECK ("c${i}" IS NOT NULL) NOT VALID;\nALTER TABLE "Lead" VALIDATE CONSTRAINT "Lead_c${i}_chk";\nALTER TABLE "Lead" ALTER COLUMN "c${i}" SET NOT NULL;`,
  (i) => `UPDATE "Conversation" SET "primaryIntent" = "intent" WHERE id BETWEEN ${i * 1000} AND ${i * 1000 + 999};`,
  (i) => `ALTER TABLE "Contact" ALTER COLUMN "phone${i}" SET DATA TYPE VARCHAR(32);`,
  (i) =>
    `-- tidemark-ignore drop-object: column unused since release ${i}\nALTER TABLE "Message" DROP COLUMN "old${i}";`,
  (i) => `ALTER TABLE "Message" ADD COLUMN "updated${i}" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;`,
];

/** Write the generated migrations under `dir`. */
export function generate(dir) {
  let statements = 0;
  let bytes = 0;
  for (let f = 0; f < FILES; f++) {
    const n = 3 + (f % 10);
    const parts = [];
    for (let k = 0; k < n; k++) parts.push(`-- step ${k}\n${SNIPPETS[(f + k * 7) % SNIPPETS.length](f * 100 + k)}`);
    const text = `${parts.join('\n\n')}\n`;
    const d = join(dir, 'prisma', 'migrations', `2026${String(f).padStart(6, '0')}_m${f}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'migration.sql'), text);
    statements += n;
    bytes += text.length;
  }
  return { statements, bytes };
}

export default async function bench(ctx) {
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-lint-bench-'));
  try {
    const { statements, bytes } = generate(dir);
    ctx.log(`${FILES} files, ${statements} statements, ${(bytes / 1024).toFixed(0)} KiB`);
    const runs = [];
    for (let i = 0; i < 4; i++) {
      const cpu0 = process.cpuUsage();
      const t = performance.now();
      const r = await lint(['prisma'], { cwd: dir });
      const ms = performance.now() - t;
      const c = process.cpuUsage(cpu0);
      const cpuMs = (c.user + c.system) / 1000;
      runs.push({
        run: i === 0 ? 'cold (first in process)' : `warm ${i}`,
        files: r.counts.files,
        findings: r.findings.length,
        'wall ms': Math.round(ms),
        'cpu ms': Math.round(cpuMs),
        'wall vs 2 s': `${(ms / 2000).toFixed(2)}×`,
        'cpu vs 2 s': `${(cpuMs / 2000).toFixed(2)}×`,
      });
    }
    ctx.report(runs);
    const [l1] = loadavg();
    ctx.log(
      `machine: ${cpus().length} CPUs, load average ${l1.toFixed(1)} (wall time is inflated when the load exceeds the CPU count)`,
    );
    const cold = runs[0];
    ctx.log(
      `${FILES} files: cold ${cold['wall ms']} ms wall / ${cold['cpu ms']} ms CPU; warm ${Math.min(...runs.slice(1).map((r) => r['wall ms']))} ms wall (goal: < 2000 ms)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
