/**
 * The targets file of a fleet (docs/fleet.md): one database per line, `NAME URL`, `${ENV_VAR}`
 * expanded in the URL, `#` comments and blank lines ignored. Every URL's password is registered
 * for redaction before anything can print it. The names are all the coordinator ever sees: each
 * runner resolves a name to its URL from its own file, so no password leaves the machine.
 */
import { readFileSync } from 'node:fs';
import { assertConnectionString } from '../db/client-config.js';
import { TidemarkError, UsageError } from '../model/errors.js';
import { registerSecretsOf } from '../sql/redact.js';

export interface FleetTarget {
  name: string;
  url: string;
  /** 1-based line in the targets file. */
  line: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Parse a targets file's text; `file` names it in errors (`FILE:LINE: …`, exit 2). */
export function parseTargets(
  text: string,
  file: string,
  env: Record<string, string | undefined> = process.env,
): FleetTarget[] {
  const out: FleetTarget[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const at = `${file}:${line}`;
    const body = lines[i]!.replace(/(^|\s)#.*$/, '').trim();
    if (!body) continue;
    const parts = body.split(/\s+/);
    if (parts.length !== 2)
      throw new UsageError(
        `${at}: expected "NAME URL", found ${parts.length} field${parts.length === 1 ? '' : 's'}`,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's own syntax, shown to the user
        'Write one target per line: a name, a space, a connection URL (${VAR} for secrets).',
      );
    const [name, raw] = parts as [string, string];
    if (!NAME.test(name))
      throw new UsageError(
        `${at}: target name "${name.slice(0, 40)}" is not valid`,
        'A name is 1–63 letters, digits, "_", "." or "-", starting with a letter or digit.',
      );
    const earlier = seen.get(name);
    if (earlier !== undefined)
      throw new UsageError(
        `${at}: target "${name}" is named twice (first on line ${earlier})`,
        'Give each target its own name.',
      );
    seen.set(name, line);
    const url = raw.replace(ENV_REF, (_m, v: string) => {
      const value = env[v];
      if (value === undefined)
        throw new UsageError(
          `${at}: target "${name}": environment variable ${v} is not set`,
          `Set ${v}, or write the URL out.`,
        );
      return value;
    });
    registerSecretsOf(url);
    try {
      assertConnectionString(url, `target "${name}"`);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new UsageError(`${at}: ${why}`, e instanceof TidemarkError ? e.hint : undefined);
    }
    out.push({ name, url, line });
  }
  if (!out.length) throw new UsageError(`${file}: no targets`, 'Write one target per line: NAME URL.');
  return out;
}

/** Read and parse a targets file. */
export function readTargets(file: string, env: Record<string, string | undefined> = process.env): FleetTarget[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the targets file ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  return parseTargets(text, file, env);
}
