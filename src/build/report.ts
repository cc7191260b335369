/** What a build is asked to do, and what it reports. */
import type { Config, ConfigInput } from '../config/config.js';
import type { Article } from '../content/schema.js';
import type { Diagnostic } from '../diagnostics/diagnostics.js';
import type { BuildCache } from '../incremental/cache.js';
import type { FeedRecords } from '../publish/feed-records.js';
import type { ClockWindow, Counts } from '../publish/select.js';
import type { WriteResult } from '../publish/write.js';
import type { Held } from './hold.js';
import type { WorkerPool } from './pool.js';
import type { PublishedItems } from './renamed.js';

export interface BuildOptions {
  /** Config file; default `feedpipe.config.yaml` in `cwd`. Ignored when `config` is given. */
  configPath?: string;
  /** Config as an object, instead of a file (relative folders resolve against `cwd`). */
  config?: ConfigInput;
  /** Override the config's content folder (relative to `cwd`). */
  contentDir?: string;
  /** Override the config's output folder (relative to `cwd`). */
  outDir?: string;
  /** The clock: what is published is what is public at this instant. Default: now. */
  now?: Date;
  /** Write files (build) or only validate (check). Default true. */
  write?: boolean;
  /** Render every article, not only those a feed carries, to report every warning (check). */
  renderAll?: boolean;
  cwd?: string;
  /**
   * Work kept between builds. A long-running publisher passes the same object
   * every time; the CLI uses `cacheDir`. Without either, every build is cold.
   */
  cache?: BuildCache;
  /** Folder of the persistent cache, relative to the config file's folder (the CLI uses `.feedpipe-cache`). */
  cacheDir?: string;
  /**
   * Absolute paths a watcher saw change since the last build with this
   * `cache`: only they are looked at. Anything not a Markdown file (a folder,
   * a rename) makes the build scan the whole content folder.
   */
  changedPaths?: readonly string[];
  /**
   * Before loading anything, check whether the last build's result still stands (needs `cacheDir`;
   * see src/incremental/standing.ts). If it does, nothing is loaded or written and the report's kind
   * is `stands`: it has `counts`, but empty `articles`, `visible`, `scheduled` and `drafts` and no `cache`.
   * If not, but the only files that changed kept their place in the site (src/incremental/summary.ts),
   * only they are loaded: the report's kind is `changed-only`, and it is as thin.
   * For one-off builds (`feedpipe build`); a long-running publisher wants the site in memory.
   */
  reuseLastResult?: boolean;
  /**
   * Keep the serialised files in `report.files` (default true). A one-off build that only writes
   * them passes false: each file is then held as its UTF-8 bytes until written, not as a string
   * (which V8 keeps at two bytes a character once a file has one character beyond U+00FF).
   */
  keepFiles?: boolean;
  /**
   * Worker threads: rendering always runs in them, with `render.timeout` and `render.maxMemoryMb`,
   * and large batches of parsing too (default true; only from the compiled package). With false, the
   * main thread does everything, and no time budget can be kept.
   */
  parallel?: boolean;
  /**
   * A file with errors holds back nobody else (src/build/hold.ts): it stands as the version of it
   * the last publication carried, or is left out, and its errors are reported as `held`. The
   * publisher always builds so; `feedpipe build --keep-going` does. Default false: any error, nothing written.
   */
  keepGoing?: boolean;
  /**
   * Workers kept between builds (`WorkerPool.create`), which the caller closes: a long-running
   * publisher passes one, so a build of one changed article does not wait for a worker to start.
   * Without it, each build starts its own and stops them when it ends.
   */
  workers?: WorkerPool;
  /** Once aborted, the build stops before its write phase and writes nothing (a write under way finishes). */
  signal?: AbortSignal;
  /** Progress of the long stages, for a terminal display on big sites. */
  onProgress?: (progress: BuildProgress) => void;
}

export interface BuildProgress {
  stage: 'load' | 'validate' | 'render';
  done: number;
  total: number;
}

export interface FeedSummary {
  key: string;
  /** An RFC 5005 archive page of its feed (publish/archive.ts): its number, 1 the oldest. */
  archive?: number;
  items: number;
  updated: Date;
  files: string[];
}

export interface BuildStats {
  /** Files read and parsed this build. */
  parsed: number;
  /** Articles reused from the cache without parsing. */
  reused: number;
  /** Articles rendered this build. */
  rendered: number;
  /** Renders started before select (an edit's, in a pool already up), whether or not the build took them. */
  renderedAhead: number;
  /** Files serialised this build (an unchanged feed is not). */
  serialized: number;
  /** Feed items serialised this build: once per article and format, not again while its file is unchanged (in the same process). */
  fragments: number;
  /** Worker threads the build could use (0: all on the main thread). */
  workers: number;
}

interface ReportCommon {
  ok: boolean;
  diagnostics: Diagnostic[];
  config?: Config;
  outDir?: string;
  /** The sizes of articles, visible, scheduled and drafts (also when those are not loaded: see ProvenReport). */
  counts: Counts;
  nextDue?: Date;
  /** The clocks at which this build's selection holds (select's window): the same content built at any of them publishes the same. */
  window?: ClockWindow;
  /** The article that falls due at `nextDue`. */
  nextDueFile?: string;
  feeds: FeedSummary[];
  /**
   * Files serialised by this build, by path relative to outDir (all of them unless a cache proved
   * some unchanged): the feeds, index.html and feed.xsl. Empty with `keepFiles: false`.
   */
  files: Map<string, string>;
  /** With `keepFiles: false`, each JSON Feed file serialised, by path: its items' UTF-8 bytes, one per item, in order. */
  jsonItems?: Map<string, readonly Buffer[]>;
  /** When each published file's content was last updated (a feed's newest item), by path; the HTTP Last-Modified. */
  updated: Map<string, Date>;
  /** The items the feeds carry, once made: recorded beside the manifest, compared with the last record (build/renamed.ts). */
  items?: PublishedItems;
  /** The subscription feeds this build publishes, for the manifest (publish/emptied.ts). */
  feedRecords?: FeedRecords;
  write?: WriteResult;
  /** With keepGoing: the files whose errors were set aside, each with whether its last published version stood in. */
  held?: Held[];
  stats: BuildStats;
  now: Date;
  durationMs: number;
}

/** A build that loaded the site: every article, and what select made of it. */
export interface FullReport extends ReportCommon {
  kind: 'full';
  articles: Article[];
  /** Public at `now`, newest first. */
  visible: Article[];
  /** Not yet public, soonest first. */
  scheduled: Article[];
  drafts: Article[];
  /** The cache this build used and updated: pass it back as `cache` to keep work in memory across builds. */
  cache?: BuildCache;
  /**
   * The article versions its feeds carry, by source path, once they are made (written, or for a
   * build that writes nothing, to be written): what a file with errors stands as after they are
   * published (src/build/hold.ts).
   */
  carried?: ReadonlyMap<string, { hash: string; article: Article }>;
}

/**
 * A build that proved a shortcut (src/incremental/) and so loaded no article lists: `stands` — the last
 * build's result still stands, nothing was loaded or written; `changed-only` — only the content files
 * that changed since the last build were loaded, each keeping its place in the site. `counts` and
 * everything else are complete.
 */
export interface ProvenReport extends ReportCommon {
  kind: 'stands' | 'changed-only';
  articles: never[];
  visible: never[];
  scheduled: never[];
  drafts: never[];
  cache?: undefined;
}

export type BuildReport = FullReport | ProvenReport;

/** The report while a build fills it in; `kind` is settled by whichever path publishes. */
export type ReportInProgress = Omit<FullReport, 'kind'> & { kind: BuildReport['kind'] };

export function emptyReport(now: Date): ReportInProgress {
  const stats: BuildStats = { parsed: 0, reused: 0, rendered: 0, renderedAhead: 0, serialized: 0, fragments: 0, workers: 0 };
  return { kind: 'full', ok: false, diagnostics: [], articles: [], visible: [], scheduled: [], drafts: [], counts: { articles: 0, visible: 0, scheduled: 0, drafts: 0 }, feeds: [], files: new Map(), updated: new Map(), stats, now, durationMs: 0 };
}
