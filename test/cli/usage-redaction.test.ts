/**
 * A connection string typed where a command was expected (the user forgot --database-url) ends up in
 * commander's own usage error: it is redacted on stderr and in the --json error line.
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/run.js';

describe('usage errors', () => {
  it('never print the password of a mistyped connection string', async () => {
    for (const args of [
      ['postgres://app:s3cret-pw@db.internal/app', 'status'],
      ['--json', 'postgres://app:s3cret-pw@db.internal/app', 'status'],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout + r.stderr).not.toContain('s3cret-pw');
      expect(r.stdout + r.stderr).toContain('postgres://app:***@db.internal/app');
      if (args[0] === '--json')
        expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toMatchObject({ type: 'error', exitCode: 2 });
    }
  });
});
