/** The targets file (docs/fleet.md): `NAME URL`, `${VAR}`, comments; bad lines name FILE:LINE (exit 2). */
import { describe, expect, it } from 'vitest';
import { parseTargets } from '../../src/fleet/targets.js';
import { ExitCode, UsageError } from '../../src/model/errors.js';
import { redactText } from '../../src/sql/redact.js';

const bad = (text: string, env: Record<string, string> = {}) => {
  try {
    parseTargets(text, 'fleet.txt', env);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).exitCode).toBe(ExitCode.badInput);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
};

describe('targets file', () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the targets file's own syntax
  it('reads names and URLs, expands ${VAR}, skips comments and blank lines, and registers the passwords', () => {
    const t = parseTargets(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the targets file's own syntax
      '# tenants\n\ntenant_a  postgres://app:${PW_A}@db1:5432/a   # first\n  tenant-b\tpostgres://app@db2/b?application_name=x\n',
      'fleet.txt',
      { PW_A: 'Secret-A-77' },
    );
    expect(t).toEqual([
      { name: 'tenant_a', url: 'postgres://app:Secret-A-77@db1:5432/a', line: 3 },
      { name: 'tenant-b', url: 'postgres://app@db2/b?application_name=x', line: 4 },
    ]);
    expect(redactText('connecting with Secret-A-77')).not.toContain('Secret-A-77');
  });

  it('refuses bad lines with the file and line', () => {
    expect(bad('a postgres://h/a\nb\n')).toMatch(/^fleet\.txt:2: expected "NAME URL", found 1 field/);
    expect(bad('a postgres://h/a extra\n')).toMatch(/^fleet\.txt:1: expected "NAME URL", found 3 fields/);
    expect(bad('a postgres://h/a\na postgres://h/b\n')).toMatch(
      /^fleet\.txt:2: target "a" is named twice \(first on line 1\)/,
    );
    expect(bad('-x postgres://h/a\n')).toMatch(/^fleet\.txt:1: target name "-x" is not valid/);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the targets file's own syntax
    expect(bad('a postgres://u:${NOPE}@h/a\n')).toMatch(/^fleet\.txt:1: .*environment variable NOPE is not set/);
    expect(bad('# nothing\n\n')).toMatch(/^fleet\.txt: no targets/);
  });
});
