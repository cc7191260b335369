/**
 * Articles a worker could not render within `render.timeout` or
 * `render.maxMemoryMb`, by the hash of their bytes and those limits: a build
 * leaves them out of select's input from the start, so the next build (a
 * publisher's, at an article's due time) does not spend its budget on them
 * again. Unchanged bytes under the same limits are refused again without a
 * try; an edit, or other limits, gets a new one. Kept for the process.
 */
import type { Config } from '../config/config.js';
import type { Diagnostic } from '../diagnostics/diagnostics.js';

/** Enough for any site's worth of broken articles; the oldest go first. */
const MAX_VERDICTS = 1000;
const verdicts = new Map<string, Diagnostic>();

const keyOf = (hash: string, config: Config) => `${hash} ${config.render.timeout} ${config.render.maxMemoryMb}`;

export function rememberVerdict(hash: string, config: Config, d: Diagnostic): void {
  if (verdicts.size >= MAX_VERDICTS) verdicts.delete(verdicts.keys().next().value!);
  verdicts.set(keyOf(hash, config), d);
}

/** The diagnostic of an article with these bytes the workers could not render, at `file`. */
export function verdictFor(hash: string | undefined, config: Config, file: string): Diagnostic | undefined {
  // Asked for every article of every build: nearly always there is none to find.
  const d = hash && verdicts.size ? verdicts.get(keyOf(hash, config)) : undefined;
  return d && { ...d, file };
}
