/**
 * Statements on the ledger a reader may copy and run themselves: the report's "Validation queries"
 * (docs/ledger.md shows the same queries on the default schema). Text only, never run by Tidemark;
 * the plan id is written as a literal so the statement can be pasted into psql as it is.
 */

/** Which steps of the plan are done and how long they took, and the latest result of each check. */
export function validationQueries(schema: string, planId: string): string[] {
  const ls = schema.replace(/"/g, '""');
  const id = planId.replace(/'/g, "''");
  return [
    `SELECT step_id, phase, status, rows_affected, round(duration_ms) AS ms FROM "${ls}".steps WHERE plan_id = '${id}' ORDER BY position;`,
    `SELECT DISTINCT ON (step_id) step_id, status, actual, expected FROM "${ls}".check_results WHERE plan_id = '${id}' ORDER BY step_id, id DESC;`,
  ];
}
