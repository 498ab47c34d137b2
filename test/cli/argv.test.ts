/**
 * Where global options may stand (docs/cli.md: before or after the positional arguments, and before the
 * command): parsed by the real program, with each command's action swapped for one that records
 * what it received. Also the one ambiguity of `--embedded [DIR]`: a bare `--embedded` before a
 * command name or a plan file does not take it for its DIR.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { normaliseArgv } from '../../src/cli/argv.js';
import { buildProgram } from '../../src/cli/main.js';
import { tempDir } from '../helpers/plan-files.js';

interface Parsed {
  command: string;
  args: string[];
  opts: Record<string, unknown>;
}

/** Parse `argv` as `tidemark` would, without running any command. */
async function parse(argv: string[]): Promise<Parsed> {
  const program = buildProgram();
  let parsed: Parsed | undefined;
  const capture = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.action((...raw: unknown[]) => {
        const c = raw[raw.length - 1] as Command;
        parsed = {
          command: `${c.parent === program ? '' : `${c.parent!.name()} `}${c.name()}`,
          args: c.args,
          opts: c.optsWithGlobals(),
        };
      });
      capture(sub);
    }
  };
  capture(program);
  await program.parseAsync(normaliseArgv(program, argv), { from: 'user' });
  if (!parsed) throw new Error(`no command ran for ${argv.join(' ')}`);
  return parsed;
}

const URL_ = 'postgres://u@db.example:5432/app';

describe('global options', () => {
  it('are accepted before the command, after it, and after its positional arguments', async () => {
    const placements: [string, string[]][] = [
      [
        'before the command',
        ['--database-url', URL_, '--ledger-schema', 'tm', '--json', '--quiet', '--no-color', 'status', 'x.plan.ts'],
      ],
      [
        'between command and argument',
        ['status', '--database-url', URL_, '--ledger-schema=tm', '--json', '--quiet', '--no-color', 'x.plan.ts'],
      ],
      [
        'after the argument',
        ['status', 'x.plan.ts', `--database-url=${URL_}`, '--ledger-schema', 'tm', '--json', '--quiet', '--no-color'],
      ],
      [
        'mixed',
        ['--json', 'status', '--quiet', 'x.plan.ts', '--database-url', URL_, '--no-color', '--ledger-schema', 'tm'],
      ],
    ];
    for (const [where, argv] of placements) {
      const p = await parse(argv);
      expect(p.command, where).toBe('status');
      expect(p.args, where).toEqual(['x.plan.ts']);
      expect(p.opts, where).toMatchObject({
        databaseUrl: URL_,
        ledgerSchema: 'tm',
        json: true,
        quiet: true,
        color: false,
      });
    }
  });

  it("reach nested commands (flag set/list) from any position, next to the command's own options", async () => {
    expect(await parse(['flag', '--database-url', URL_, 'list'])).toMatchObject({
      command: 'flag list',
      opts: { databaseUrl: URL_ },
    });
    expect(await parse(['--json', 'flag', 'set', 'a.b', 'on', '--ledger-schema', 'tm'])).toMatchObject({
      command: 'flag set',
      args: ['a.b', 'on'],
      opts: { json: true, ledgerSchema: 'tm' },
    });
    const run = await parse([
      '--database-url',
      URL_,
      'run',
      '--phase',
      'expand',
      'x.plan.ts',
      '--json',
      '--approve',
      'g1',
      '--approve',
      'g2',
    ]);
    expect(run).toMatchObject({
      command: 'run',
      args: ['x.plan.ts'],
      opts: { databaseUrl: URL_, json: true, phase: 'expand', approve: ['g1', 'g2'] },
    });
    const lint = await parse(['lint', 'a.sql', '--json', 'b.sql', '--format', 'gcc']);
    expect(lint).toMatchObject({ command: 'lint', args: ['a.sql', 'b.sql'], opts: { json: true, format: 'gcc' } });
  });

  it('default to nothing: colour on, no JSON, no database', async () => {
    const p = await parse(['status']);
    expect(p.opts).toEqual({ color: true });
  });

  it('--embedded: DIR when one is given, anywhere; bare before a command name or a file', async () => {
    const cwd = tempDir();
    const plan = join(cwd, 'x.plan.ts');
    writeFileSync(plan, 'export default {};\n');
    mkdirSync(join(cwd, 'pgdir'));
    expect((await parse(['--embedded', 'status'])).opts.embedded).toBe(true);
    expect((await parse(['--embedded', 'flag', 'list'])).opts.embedded).toBe(true);
    expect(await parse(['flag', '--embedded', 'list'])).toMatchObject({
      command: 'flag list',
      opts: { embedded: true },
    });
    expect(await parse(['--embedded', 'run', plan])).toMatchObject({
      command: 'run',
      args: [plan],
      opts: { embedded: true },
    });
    expect(await parse(['run', '--embedded', plan])).toMatchObject({
      command: 'run',
      args: [plan],
      opts: { embedded: true },
    });
    expect(await parse(['status', '--embedded', plan])).toMatchObject({
      command: 'status',
      args: [plan],
      opts: { embedded: true },
    });
    expect(await parse(['run', plan, '--embedded'])).toMatchObject({ args: [plan], opts: { embedded: true } });
    // A DIR: existing directory, new path, or a command's name after the command was chosen.
    expect(await parse(['--embedded', join(cwd, 'pgdir'), 'run', plan])).toMatchObject({
      command: 'run',
      args: [plan],
      opts: { embedded: join(cwd, 'pgdir') },
    });
    expect(await parse(['run', plan, '--embedded', '.tidemark/pg'])).toMatchObject({
      args: [plan],
      opts: { embedded: '.tidemark/pg' },
    });
    expect(await parse(['status', plan, '--embedded', 'status'])).toMatchObject({
      args: [plan],
      opts: { embedded: 'status' },
    });
    expect(await parse(['run', `--embedded=${join(cwd, 'pgdir')}`, plan])).toMatchObject({
      args: [plan],
      opts: { embedded: join(cwd, 'pgdir') },
    });
  });

  it('normaliseArgv touches nothing but a bare --embedded, and nothing after --', () => {
    const program = buildProgram();
    expect(normaliseArgv(program, ['--embedded', 'status'])).toEqual(['--embedded=', 'status']);
    expect(normaliseArgv(program, ['--database-url', 'status', 'status'])).toEqual([
      '--database-url',
      'status',
      'status',
    ]);
    expect(normaliseArgv(program, ['run', 'x.plan.ts', '--embedded', 'dir'])).toEqual([
      'run',
      'x.plan.ts',
      '--embedded',
      'dir',
    ]);
    expect(normaliseArgv(program, ['lint', '--', '--embedded', 'status'])).toEqual([
      'lint',
      '--',
      '--embedded',
      'status',
    ]);
  });
});
