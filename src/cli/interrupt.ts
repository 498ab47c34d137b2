/**
 * Ctrl-C (SIGINT) and SIGTERM during a run: the first asks the run to stop at its next safe point
 * — after the batch or step in flight commits — and the run records itself `interrupted` and exits
 * 130; a second one ends the process at once (Node's default), which a rerun also resumes from
 * (docs/cli.md, "Stopping a run").
 */
import type { Renderer } from './render/renderer.js';

/** Run `fn` with a signal aborted by the first SIGINT or SIGTERM. */
export async function stoppable<T>(renderer: Renderer, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    renderer.sink({
      type: 'notice',
      level: 'warn',
      message: `${name}: stopping after the batch or step in flight commits (${name === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again stops at once; a rerun resumes either way)`,
    });
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
