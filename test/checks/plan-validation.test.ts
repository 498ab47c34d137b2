/**
 * Bad check and gate options are refused when the plan loads — every problem at once, each naming
 * phase, step and field — before anything touches a database.
 */
import { describe, expect, it } from 'vitest';
import { PlanInvalidError } from '../../src/model/errors.js';
import { loadPlan } from '../../src/plan/load.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';

describe('check and gate options', () => {
  it('lists every problem with phase, step and field', async () => {
    const file = writePlan(
      tempDir(),
      `{
      id: 'bad-proof',
      preconditions: [check.migrationApplied({ id: 'base', tool: 'prisma', name: 'x', dir: 'prisma' })],
      validate: [
        check.perGroup({ id: 'no-range', table: 'a', groupBy: ['x', 'y'], groupsFrom: { table: 'b', column: 'id' } }),
        check.rowCount({ id: 'both', table: 'a', equals: 1, max: 2 }),
        check.allowedValues({ id: 'empty', table: 'a', column: 'c', values: [] }),
        check.unique({ id: 'twice', table: 'a', columns: ['c', 'c'] }),
      ],
      contract: [
        gate.window({ id: 'w', between: ['25:00', '03:00'] }),
        gate.window({ id: 'tz', between: ['01:00', '01:00'], timezone: 'Atlantis/Capital' }),
        gate.flag({ id: 'f', flag: 'has space' }),
      ],
    }`,
    );
    const err = await loadPlan(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PlanInvalidError);
    const issues = (err as PlanInvalidError).issues.map((i) => `${i.phase} ${i.stepId} ${i.field ?? ''}: ${i.message}`);
    expect(issues).toEqual([
      'preconditions base dir: is not used with tool "prisma" (only alembic and drizzle read migration files)',
      'validate no-range equals: give one of equals, min or max',
      'validate no-range groupsFrom: needs groupBy to name exactly one column (the one that refers to groupsFrom.column)',
      'validate both equals: equals cannot be combined with min or max',
      'validate empty values: must list at least one value',
      'validate twice columns: "c" is listed twice',
      'contract w between[0]: must be HH:MM',
      'contract tz timezone: "Atlantis/Capital" is not a known IANA time zone (e.g. "Europe/Paris", "America/New_York", "UTC")',
      'contract tz between: start and end are the same time: the window would be empty',
      'contract f flag: must be a flag name: letters, digits, _ . : -',
    ]);
  });
});
