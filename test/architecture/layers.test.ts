/**
 * The house in layers (docs/architecture.md): every folder under src/ may import only from the
 * folders below it. Read from the source, so `import type`, `export … from` and dynamic `import()`
 * all count. A new folder must be given its place in LAYERS (and in the doc) before it can be used.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Bottom first. Mirrors the picture in docs/architecture.md. */
const LAYERS = [
  'sql',
  'model',
  'db',
  'ledger',
  'kind',
  'checks',
  'gates',
  'raw-sql',
  'backfill',
  'ops',
  'plan',
  'lint',
  'config',
  'import',
  'runner',
  'report',
  'api',
  'fleet',
  'demo',
  'cli',
] as const;

const SRC = resolve(__dirname, '../../src');
const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

interface Edge {
  from: string;
  to: string;
}

function sourceFiles(): string[] {
  const out: string[] = [];
  (function walk(d: string) {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|mts)$/.test(e) && !e.endsWith('.d.ts')) out.push(p);
    }
  })(SRC);
  return out;
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const f of sourceFiles()) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2]) as string;
      const target = resolve(dirname(f), spec.replace(/\.js$/, '.ts'));
      if (!target.startsWith(SRC)) continue;
      out.push({ from: relative(SRC, f), to: relative(SRC, target) });
    }
  }
  return out;
}

const folderOf = (file: string) => (file.includes('/') ? file.split('/')[0] : '(root)');

describe('the house in layers', () => {
  it('every folder under src/ has a place in the layers, and only index.ts stands at the root', () => {
    const folders = new Set(sourceFiles().map((f) => folderOf(relative(SRC, f))));
    const unplaced = [...folders].filter((f) => f !== '(root)' && !(LAYERS as readonly string[]).includes(f));
    expect(unplaced, 'give each new folder its place in LAYERS and in docs/architecture.md').toEqual([]);
    const rootFiles = sourceFiles()
      .map((f) => relative(SRC, f))
      .filter((f) => !f.includes('/'));
    expect(rootFiles).toEqual(['index.ts']);
  });

  it('no import runs up the layers (type-only and dynamic imports included)', () => {
    const rank = (folder: string) =>
      folder === '(root)' ? LAYERS.length : (LAYERS as readonly string[]).indexOf(folder);
    const upward = edges()
      .filter((e) => folderOf(e.from) !== folderOf(e.to) && rank(folderOf(e.to)) >= rank(folderOf(e.from)))
      .map((e) => `${e.from} -> ${e.to}`);
    expect(upward).toEqual([]);
  });

  it('no two files import each other, directly or around a circle', () => {
    const graph = new Map<string, string[]>();
    for (const e of edges()) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const g of graph.get(f) ?? []) {
        if (state.get(g) === 'open') cycles.push([...stack.slice(stack.indexOf(g)), g].join(' -> '));
        else if (!state.has(g)) visit(g);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it('docs/architecture.md names the layers in the same order', () => {
    const doc = readFileSync(resolve(__dirname, '../../docs/architecture.md'), 'utf8');
    const table = [...doc.matchAll(/^\| `([a-z-]+)\/` \|/gm)].map((m) => m[1]);
    expect(table).toEqual([...LAYERS]);
  });
});
