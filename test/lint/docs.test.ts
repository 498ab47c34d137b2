/**
 * Every lint rule has its doc page (problem, solution naming a safe builder, example) and its
 * own test file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALL_RULES } from '../../src/lint/registry.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('lint rule docs and tests', () => {
  for (const rule of ALL_RULES) {
    it(`${rule.id}: docs/rules/${rule.id}.md and test/lint/rules/${rule.id}.test.ts`, () => {
      const doc = readFileSync(`${root}docs/rules/${rule.id}.md`, 'utf8');
      expect(doc).toMatch(/^## problem$/m);
      expect(doc).toMatch(/^## solution$/m);
      expect(doc).toMatch(/^## example$/m);
      if (!['syntax-error', 'invalid-suppression'].includes(rule.id))
        expect(doc.split('## solution')[1]).toMatch(/\b(op|backfill|check|sql|gate)\b[.(`*]/);
      expect(doc).toContain(`Level: **${rule.level}**`);
      expect(existsSync(`${root}test/lint/rules/${rule.id}.test.ts`)).toBe(true);
    });
  }
});
