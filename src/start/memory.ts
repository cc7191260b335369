import type { BuildOptions, BuildReport } from '../build/build.js';
import type { BuildCache } from '../incremental/cache.js';
import type { Trigger } from './publisher.js';

/**
 * The parsed site stays in memory between builds; a build after a watched
 * change looks only at the files that changed. Watchers record what changed,
 * the run asks for the next build's options and hands back each report.
 */
export interface SiteMemory {
  /** The options of the next build: the pinned ones, the cache, and the watched changes if only the watcher asked. */
  optionsFor(triggers: readonly Trigger[]): BuildOptions;
  /** The pinned options with the cache, for a build that takes no changed paths (a build ahead). */
  withCache(): BuildOptions;
  /** Keeps the report's cache for the next build. */
  remember(report: BuildReport): void;
  /** A watched change: one content file, or `undefined` when the watcher cannot tell which (look at everything). */
  changed(file: string | undefined): void;
  /** The changes a build took are not known to be loaded: the next build looks at everything. */
  forgetChanges(): void;
}

export function createSiteMemory(pinned: BuildOptions): SiteMemory {
  let cache: BuildCache | undefined;
  let changedPaths: Set<string> | 'all' = 'all';
  const withCache = (): BuildOptions => ({ ...pinned, ...(cache ? { cache } : {}) });
  return {
    optionsFor: (triggers) => {
      const changed = changedPaths;
      changedPaths = new Set();
      const onlyWatched = cache && changed !== 'all' && triggers.length > 0 && triggers.every((t) => t === 'watch');
      return { ...withCache(), ...(onlyWatched ? { changedPaths: [...changed] } : {}) };
    },
    withCache,
    remember: (report) => {
      if (report.cache && report.cache !== cache) {
        cache = report.cache;
        cache.inMemoryOnly();
      }
    },
    changed: (file) => {
      if (file === undefined) changedPaths = 'all';
      else if (changedPaths !== 'all') changedPaths.add(file);
    },
    forgetChanges: () => {
      changedPaths = 'all';
    },
  };
}
