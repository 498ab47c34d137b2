/**
 * Helpers for lint tests: write SQL or a plan into a temp directory, lint it, and look at the
 * findings of one rule or render them as users see them (no colour, paths relative to the temp dir).
 */

import type { Finding } from '../../src/lint/finding.js';
import { type LintOptions, type LintResult, lint, render } from '../../src/lint/index.js';
import { tempDir, writeFiles, writePlan } from '../helpers/plan-files.js';

/** Lint `sql` written to `migration.sql` (or `name`), plus any extra files, from a fresh temp dir. */
export async function lintSql(
  sql: string,
  opts: { name?: string; files?: Record<string, string>; targets?: string[] } & Omit<LintOptions, 'cwd'> = {},
): Promise<LintResult & { dir: string }> {
  const dir = tempDir('tidemark-lint-');
  const name = opts.name ?? 'migration.sql';
  writeFiles(dir, { [name]: sql, ...opts.files });
  const r = await lint(opts.targets ?? [name], { cwd: dir, databaseUrl: opts.databaseUrl, config: opts.config });
  return { ...r, dir };
}

/** Lint a plan whose body is `definePlan(<body>)`, plus extra files next to it. */
export async function lintPlanBody(
  body: string,
  opts: { files?: Record<string, string> } & Omit<LintOptions, 'cwd'> = {},
): Promise<LintResult & { dir: string }> {
  const dir = tempDir('tidemark-lint-plan-');
  if (opts.files) writeFiles(dir, opts.files);
  writePlan(dir, body, 'wave.plan.ts');
  const r = await lint(['wave.plan.ts'], { cwd: dir, databaseUrl: opts.databaseUrl, config: opts.config });
  return { ...r, dir };
}

/** Unsuppressed findings of one rule. */
export function active(r: LintResult, rule: string): Finding[] {
  return r.findings.filter((f) => f.rule === rule && !f.suppressed);
}

/** The tty rendering of one rule's findings, as a user sees it (no colour). */
export function tty(r: LintResult, rule: string): string {
  const findings = r.findings.filter((f) => f.rule === rule);
  const errors = findings.filter((f) => f.level === 'error' && !f.suppressed).length;
  const warnings = findings.filter((f) => f.level === 'warning' && !f.suppressed).length;
  return render(
    {
      ...r,
      findings,
      waived: [],
      counts: { ...r.counts, errors, warnings, suppressed: findings.length - errors - warnings, waived: 0 },
    },
    'tty',
    { color: false },
  );
}
