/**
 * The report formats, apart from the renderers: `tidemark report` checks `--format` before it loads
 * them (docs/architecture.md, "Start-up").
 */

/** The report formats. */
export const REPORT_FORMATS = ['md', 'html', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
