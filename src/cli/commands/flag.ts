/** `tidemark flag set <name> on|off` and `tidemark flag list`: the flags `gate.flag` reads, recorded in the ledger. */
import type { Command } from 'commander';
import { Db } from '../../db/connection.js';
import { UsageError } from '../../errors.js';
import { installLedger, ledgerVersion } from '../../ledger/install.js';
import { Ledger } from '../../ledger/ledger.js';
import { listFlags, setFlag } from '../../ledger/records.js';
import { defaultActor } from '../../runner/open.js';
import { withGlobals, type CliContext } from '../context.js';
import { action } from '../action.js';
import { alignedTable } from '../../checks/proof-format.js';

const NAME = /^[A-Za-z0-9_.:-]+$/;

async function withLedger<T>(ctx: CliContext, install: boolean, fn: (l: Ledger | undefined) => Promise<T>): Promise<T> {
  const db = new Db(await ctx.databaseUrl(), { applicationName: 'tidemark:flag', max: 2 });
  try {
    const schema = ctx.opts.ledgerSchema ?? ctx.config.ledgerSchema ?? 'tidemark';
    if (install) await installLedger(db, schema);
    else if ((await ledgerVersion(db, schema)) === 0) return await fn(undefined);
    return await fn(new Ledger(db, schema));
  } finally {
    await db.close();
  }
}

export function registerFlag(program: Command): void {
  const flag = program.command('flag').description('feature flags that gate.flag reads');
  withGlobals(flag.command('set <name> <state>').description('turn a flag on or off (recorded with who and when)'))
    .action(action(async (ctx, [name, state]) => {
      if (!NAME.test(name)) throw new UsageError(`flag name "${name}" must use letters, digits, _ . : -`);
      if (state !== 'on' && state !== 'off') throw new UsageError(`flag state must be "on" or "off", got "${state}"`);
      await withLedger(ctx, true, (l) => setFlag(l!, name, state === 'on', process.env.TIDEMARK_ACTOR || defaultActor()));
      ctx.renderer.json({ type: 'flag', name, enabled: state === 'on' });
      ctx.renderer.info(`flag ${name} is ${state}`);
      return 0;
    }));
  withGlobals(flag.command('list').description('list flags and who set them'))
    .action(action(async (ctx) => {
      const flags = await withLedger(ctx, false, async (l) => (l ? listFlags(l) : []));
      ctx.renderer.json({ type: 'flags', flags });
      if (!flags.length) ctx.renderer.print('no flags set');
      for (const line of alignedTable(flags.map((f) => ({ flag: f.name, state: f.enabled ? 'on' : 'off', 'set by': f.set_by, at: f.set_at })), '')) ctx.renderer.print(line);
      return 0;
    }));
}
