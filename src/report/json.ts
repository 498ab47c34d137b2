/**
 * The JSON report: the report model, validated against its own schema (so a report that would not
 * match `docs/report-schema.json` is never written), pretty-printed.
 */
import { type ReportModel, reportSchema } from './model.js';

/** Render the model as JSON (format `tidemark-report`, see `docs/report-schema.json`). */
export function renderJson(m: ReportModel): string {
  return `${JSON.stringify(reportSchema.parse(m), null, 2)}\n`;
}
