import { describe, expect, it } from 'vitest';
import { formatProof, verdictLine } from '../../src/checks/proof-format.js';
import type { CheckOutcome } from '../../src/kind/events.js';

const outcomes: CheckOutcome[] = [
  {
    stepId: 'front-desk-per-org',
    kind: 'check.perGroup',
    title: 'Front desk numbers per org',
    status: 'fail',
    actual: '2 of 5 group(s) out of range',
    expected: '1 row(s) per orgId',
    sample: [
      { orgId: 'org-2', count: 2 },
      { orgId: 'org-5', count: 0 },
    ],
    message: '2 orgId group(s) of MessageNumber have a row count other than 1',
  },
  {
    stepId: 'threads-numbered',
    kind: 'check.noNulls',
    title: 'threads-numbered',
    status: 'pass',
    actual: 0,
    expected: 0,
    sample: [],
  },
  {
    stepId: 'no-orphan-threads',
    kind: 'check.noOrphans',
    title: 'no-orphan-threads',
    status: 'fail',
    actual: 12,
    expected: 0,
    sample: Array.from({ length: 10 }, (_, i) => ({ id: `t${i + 1}`, messageNumberId: 900 + i })),
    message: '12 row(s) of MessageThread point at 10 missing MessageNumber.id value(s)',
  },
  {
    stepId: 'negative-kpis',
    kind: 'check.query',
    title: 'Negative KPI values (may be valid)',
    status: 'warn',
    actual: '1 row(s)',
    expected: 'no rows',
    sample: [{ id: 7, value: -3.5, at: new Date('2026-01-19T10:00:00Z'), meta: { src: 'etl' } }],
  },
  {
    stepId: 'threads-by-class',
    kind: 'check.distribution',
    title: 'Threads by number class',
    status: 'pass',
    actual: '3 value(s), 17 row(s)',
    expected: 'any',
    sample: [],
    distribution: [
      { value: 'front_desk', count: 10 },
      { value: 'sitter', count: 5 },
      { value: null, count: 2 },
    ],
  },
  {
    stepId: 'old-intent',
    kind: 'check.noNulls',
    title: 'old-intent',
    status: 'superseded',
    actual: null,
    expected: null,
    sample: [],
    message: 'what it checks was removed by applied step "drop-intent"',
  },
  {
    stepId: 'baseline',
    kind: 'check.migrationApplied',
    title: 'baseline',
    status: 'fail',
    error: true,
    actual: null,
    expected: null,
    sample: [],
    message: 'the check could not run: relation "x" does not exist',
  },
];

describe('proof format', () => {
  it('renders one line per check, samples and distributions as aligned tables, and the verdict', () => {
    expect(formatProof(outcomes, { color: false })).toMatchSnapshot();
  });

  it('renders a passing proof like the seed 003 proof script', () => {
    const passing: CheckOutcome[] = [
      {
        stepId: 'front-desk-per-org',
        kind: 'check.perGroup',
        title: 'Front desk numbers per org',
        status: 'pass',
        actual: '5 group(s), all in range',
        expected: '1 row(s) per orgId',
        sample: [],
      },
      {
        stepId: 'threads-numbered',
        kind: 'check.noNulls',
        title: 'Threads missing messageNumberId',
        status: 'pass',
        actual: 0,
        expected: 0,
        sample: [],
      },
    ];
    expect(formatProof(passing, { color: false })).toBe(
      [
        'front-desk-per-org  ✓  Front desk numbers per org: 5 group(s), all in range (expected: 1 row(s) per orgId)',
        'threads-numbered    ✓  Threads missing messageNumberId: 0 (expected: 0)',
        '',
        '✅ All 2 checks passed',
      ].join('\n'),
    );
  });

  it('colours marks and the verdict only when asked', () => {
    const colored = formatProof(outcomes.slice(0, 2), { color: true });
    expect(colored).toContain('\u001b[31m✗\u001b[39m');
    expect(colored).toContain('\u001b[32m✓\u001b[39m');
    expect(formatProof(outcomes, { color: false })).not.toMatch(/\u001b\[/);
  });

  it('a check that could not run says so on its own line, once; under severity warn it is a ⚠ that does not fail', () => {
    const warned: CheckOutcome = {
      stepId: 'probe',
      kind: 'check.query',
      title: 'Optional probe',
      status: 'warn',
      error: true,
      actual: null,
      expected: null,
      sample: [],
      message: 'the check could not run: relation "y" does not exist',
    };
    const text = formatProof([outcomes[6], warned], { color: false });
    expect(text).toBe(
      [
        'baseline  ✗  the check could not run: relation "x" does not exist',
        'probe     ⚠  Optional probe: the check could not run: relation "y" does not exist',
        '',
        '❌ 1 of 2 checks failed: baseline (1 warning: probe)',
      ].join('\n'),
    );
  });

  it('states the verdict with warnings and superseded checks', () => {
    expect(verdictLine([], { color: false })).toBe('No checks to run');
    expect(
      verdictLine(
        outcomes.filter((o) => o.status !== 'fail'),
        { color: false },
      ),
    ).toBe('✅ All 4 checks passed (1 warning: negative-kpis; 1 superseded)');
    expect(verdictLine(outcomes, { color: false })).toBe(
      '❌ 3 of 7 checks failed: front-desk-per-org, no-orphan-threads, baseline (1 warning: negative-kpis; 1 superseded)',
    );
  });
});
