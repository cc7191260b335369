/**
 * `start --watch`: the content folder (recursively) and the config file's
 * folder, with a debounce, so that one save (often several events: truncate,
 * write, rename) asks for one build.
 */
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { isIgnoredName, toDisplayPath } from '../util/paths.js';
import type { Timers } from './publisher.js';

export type WatchFunction = (target: string, options: { recursive: boolean }, listener: (event: string, name: string | Buffer | null) => void) => Pick<FSWatcher, 'on' | 'close'>;

export interface SourceWatchOptions {
  contentDir: string;
  outDir: string;
  /** The config file the builds read, if they read one. */
  configFile: string | undefined;
  /** For the paths in warnings. */
  cwd: string;
  debounceMs: number;
  timers: Timers;
  /** At each relevant event: the content file that changed, or `undefined` for "something, look at everything" (the config, an unnamed event). */
  onChange: (file: string | undefined) => void;
  /** Once no event came for `debounceMs`. */
  onSettled: () => void;
  warn: (human: string, message: string) => void;
  /** Injected for tests; default node's fs.watch. */
  watch?: WatchFunction;
}

/** Starts the watchers; the returned function stops them and drops a pending debounce. */
export function watchSources(options: SourceWatchOptions): () => void {
  const { contentDir, outDir, configFile, cwd, timers } = options;
  const watch = options.watch ?? (fsWatch as unknown as WatchFunction);
  const watchers: Pick<FSWatcher, 'close'>[] = [];
  let pending: unknown;
  const changed = (file: string | undefined) => {
    options.onChange(file);
    if (pending !== undefined) timers.clearTimeout(pending);
    pending = timers.setTimeout(() => {
      pending = undefined;
      options.onSettled();
    }, options.debounceMs);
  };
  const watchOne = (target: string, recursive: boolean, relevant: (name: string) => boolean, content: boolean) => {
    try {
      const w = watch(target, { recursive }, (_event, name) => {
        if (name === null) changed(undefined);
        else if (relevant(String(name))) changed(content ? path.resolve(target, String(name)) : undefined);
      });
      w.on('error', (e: Error) => options.warn(`stopped watching ${toDisplayPath(target, cwd)}: ${e.message}`, e.message));
      watchers.push(w);
    } catch (e) {
      options.warn(`cannot watch ${toDisplayPath(target, cwd)}: ${(e as Error).message}; cron still rebuilds`, (e as Error).message);
    }
  };
  watchOne(contentDir, true, isContentChange(contentDir, outDir), true);
  // The folder, not the file: editors save by renaming a new file over the old one.
  if (configFile) watchOne(path.dirname(configFile), false, (name) => name === path.basename(configFile), false);
  return () => {
    if (pending !== undefined) timers.clearTimeout(pending);
    pending = undefined;
    for (const w of watchers) w.close();
  };
}

/**
 * The loader's rule: files and folders starting with . or _, and node_modules, are not
 * content (editor swap files too); nor is the output folder when it lies inside the content.
 */
export function isContentChange(contentDir: string, outDir: string): (name: string) => boolean {
  const relOut = path.relative(contentDir, outDir);
  const outInsideContent = relOut !== '' && !relOut.startsWith('..') && !path.isAbsolute(relOut);
  return (name) => !name.split(/[\\/]/).some(isIgnoredName) && !(outInsideContent && (name === relOut || name.startsWith(relOut + path.sep)));
}
