/** The running Tidemark's version (from package.json). */
import { readFileSync } from 'node:fs';

function read(): string {
  for (const p of ['../package.json', '../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(p, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      /* try the next location */
    }
  }
  return '0.0.0';
}

export const TIDEMARK_VERSION = read();
