/**
 * `tidemark flag set <name> on|off` and `tidemark flag list`: the flags `gate.flag` reads, recorded
 * in the ledger. The work is `setFlag` / `listFlags` (src/api/flags.ts); this file renders it.
 */
import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import { action } from '../action.js';
import { connectOptions } from '../context.js';

export function registerFlag(program: Command): void {
  const flag = program
    .command('flag')
    .description('feature flags that gate.flag reads: flag set <name> on|off, flag list');
  flag
    .command('set')
    .argument('<name>', 'flag name: letters, digits, _ . : -')
    .argument('<state>', 'on | off')
    .description('turn a flag on or off (recorded with who and when)')
    .action(
      action(async (ctx, [name, state]) => {
        const { checkFlagName, setFlag } = await import('../../api/flags.js');
        checkFlagName(name);
        if (state !== 'on' && state !== 'off')
          throw new UsageError(
            `flag state must be "on" or "off", got "${state}"`,
            `Say on or off: npx tidemark flag set ${name} on`,
          );
        const f = await setFlag(name, state === 'on', connectOptions(ctx, await ctx.databaseUrl()));
        ctx.renderer.json({ type: 'flag', ...f });
        ctx.renderer.info(`flag ${f.name} is ${f.enabled ? 'on' : 'off'}`);
        return 0;
      }),
    );
  flag
    .command('list')
    .description('list flags and who set them')
    .action(
      action(async (ctx) => {
        const [{ listFlags }, { textTable }] = await Promise.all([
          import('../../api/flags.js'),
          import('../render/table.js'),
        ]);
        const flags = await listFlags(connectOptions(ctx, await ctx.databaseUrl()));
        ctx.renderer.json({ type: 'flags', flags });
        if (!flags.length) ctx.renderer.print('no flags set');
        for (const line of textTable(
          flags.map((f) => ({ flag: f.name, state: f.enabled ? 'on' : 'off', 'set by': f.setBy, at: f.setAt })),
        ))
          ctx.renderer.print(line);
        return 0;
      }),
    );
}
