/**
 * Rendering a report in a format, and writing all three formats at once (the demo's report files).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TidemarkConfig } from '../config/config.js';
import type { Plan } from '../model/plan.js';
import { buildReport } from './build.js';
import { REPORT_FORMATS, type ReportFormat } from './formats.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import type { ReportModel } from './model.js';

export { REPORT_FORMATS, type ReportFormat } from './formats.js';

/** Render a model in one format. */
export function renderReport(m: ReportModel, format: ReportFormat): string {
  return format === 'html' ? renderHtml(m) : format === 'json' ? renderJson(m) : renderMarkdown(m);
}

/**
 * Build the report of `plan` once and write it as `<basename>.{md,html,json}` in `dir` (created if
 * needed; `basename` defaults to `<plan id>.report`). Returns the absolute paths.
 */
export async function writeReportFiles(o: {
  databaseUrl: string;
  ledgerSchema?: string;
  plan: Plan;
  dir: string;
  basename?: string;
  config?: TidemarkConfig;
}): Promise<{ md: string; html: string; json: string }> {
  const model = await buildReport({
    databaseUrl: o.databaseUrl,
    ledgerSchema: o.ledgerSchema,
    plan: o.plan,
    config: o.config,
  });
  const dir = resolve(o.dir);
  mkdirSync(dir, { recursive: true });
  const out = { md: '', html: '', json: '' };
  for (const f of REPORT_FORMATS) {
    const file = join(dir, `${o.basename ?? `${o.plan.id}.report`}.${f}`);
    writeFileSync(file, renderReport(model, f));
    out[f] = file;
  }
  return out;
}
