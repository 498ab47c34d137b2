/**
 * `invalid-suppression`: a `-- tidemark-ignore` comment without a reason, naming no rule or an
 * unknown rule (error), or standing above no statement (warning). It suppresses nothing.
 */
import type { SqlRule } from '../rule.js';

/** The rule. */
export const rule = {
  kind: 'sql',
  id: 'invalid-suppression',
  types: [],
  level: 'error',
  summary: 'a tidemark-ignore comment without a reason, with an unknown rule, or above no statement',
  check() {
    /* reported by the engine while reading suppression comments */
  },
} satisfies SqlRule;
