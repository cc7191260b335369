/**
 * `start --watch`: the content folder (every folder in it) and the config file, with a
 * debounce, so that one save (often several events: truncate, write, rename) asks for one build.
 *
 * Events come from chokidar, which watches each folder and each file and re-arms on a new inode:
 * editors, `sed -i`, git and rsync save by renaming a new file over the old one, which node's
 * recursive fs.watch on Linux stops seeing after the first time. Behind it, a cheap scan (sweep.ts)
 * stats every content file every few seconds, so an event the system dropped is found within one period.
 */
import { realpathSync, type Stats } from 'node:fs';
import path from 'node:path';
import { watch as chokidarWatch } from 'chokidar';
import { isContentPath, isIgnoredName, isMarkdownName, toDisplayPath } from '../util/paths.js';
import type { Timers } from './publisher.js';
import { SCAN_EVERY_MS, startSweep } from './sweep.js';

/** A watcher of one folder, as chokidar's: `all` gives each event (add, change, unlink, addDir, unlinkDir) with its path. */
export interface FolderWatcher {
  on(event: 'all', listener: (event: string, file: string) => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  close(): Promise<void>;
}

export interface FolderWatchOptions {
  /** Whether a path under the folder is none of our concern (`stats` when the watcher has them). */
  ignored: (file: string, stats?: Stats) => boolean;
  /** How deep below the folder; unlimited when absent. */
  depth?: number;
}

export type WatchFunction = (folder: string, options: FolderWatchOptions) => FolderWatcher;

export interface SourceWatchOptions {
  contentDir: string;
  outDir: string;
  /** The config file the builds read, if they read one. */
  configFile: string | undefined;
  /** For the paths in warnings. */
  cwd: string;
  debounceMs: number;
  timers: Timers;
  /** At each relevant event: the content file (or folder) that changed, or `undefined` for "something, look at everything" (the config). */
  onChange: (file: string | undefined) => void;
  /** Once no event came for `debounceMs`. */
  onSettled: () => void;
  warn: (human: string, message: string) => void;
  /** Injected for tests; default chokidar. */
  watch?: WatchFunction;
  /** The scan's period (sweep.ts); default SCAN_EVERY_MS, 0 turns it off. */
  scanEveryMs?: number;
}

/** Starts the watchers and the scan; the returned function stops them and drops a pending debounce. */
export function watchSources(options: SourceWatchOptions): () => void {
  const { contentDir, configFile, timers } = options;
  let pending: unknown;
  let stopped = false;
  const changed = (file: string | undefined) => {
    if (stopped) return;
    options.onChange(file);
    sweep.reported(file);
    if (pending !== undefined) timers.clearTimeout(pending);
    pending = timers.setTimeout(() => {
      pending = undefined;
      // What the build about to run will read, so the scan does not report it again.
      sweep.absorbReported();
      options.onSettled();
    }, options.debounceMs);
  };
  const sweep = startSweep({ contentDir, configFile, timers, everyMs: options.scanEveryMs ?? SCAN_EVERY_MS, onFound: changed });
  const watchers = [watchContent(options, changed)];
  if (configFile) watchers.push(watchConfig(options, configFile, changed));
  return () => {
    stopped = true;
    sweep.stop();
    if (pending !== undefined) timers.clearTimeout(pending);
    pending = undefined;
    for (const w of watchers) w?.close().catch(() => undefined);
  };
}

type Changed = (file: string | undefined) => void;

function watchContent(options: SourceWatchOptions, changed: Changed): FolderWatcher | undefined {
  const { contentDir, outDir } = options;
  const rules = watchRules(contentDir, outDir);
  return watchFolder(options, contentDir, { ignored: rules.ignored }, (event, file) => {
    // A folder added or removed: scan.ts looks at everything. A file: only content counts.
    if (event === 'addDir' || event === 'unlinkDir' || rules.isContent(file)) changed(file);
  });
}

function watchConfig(options: SourceWatchOptions, configFile: string, changed: Changed): FolderWatcher | undefined {
  // The folder, not the file: editors save by renaming a new file over the old one.
  const folder = path.dirname(configFile);
  const ignored = (file: string) => file !== folder && file !== configFile;
  return watchFolder(options, folder, { ignored, depth: 0 }, (_event, file) => {
    if (file === configFile) changed(undefined);
  });
}

/**
 * Watches `folder` through its real path (a symbolic link to the content folder is followed, as
 * the loader does; links inside it are not) and reports paths under `folder`, as the loader names them.
 */
function watchFolder(options: SourceWatchOptions, folder: string, rules: FolderWatchOptions, onEvent: (event: string, file: string) => void): FolderWatcher | undefined {
  const watch = options.watch ?? watchWithChokidar;
  const shown = toDisplayPath(folder, options.cwd);
  let real = folder;
  try {
    real = realpathSync(folder);
  } catch {
    // not there (yet): chokidar waits for it, and the scan looks every period
  }
  const named = (file: string) => (real === folder ? file : path.join(folder, path.relative(real, file)));
  const warned = new Set<string>();
  try {
    const w = watch(real, { ...rules, ignored: (file, stats) => rules.ignored(named(file), stats) });
    w.on('all', (event, file) => onEvent(event, named(file)));
    w.on('error', (e) => {
      const message = e instanceof Error ? e.message : String(e);
      // Once per kind: a full inotify table fails every path that follows, each with its name.
      const kind = (e as NodeJS.ErrnoException | undefined)?.code ?? message;
      if (warned.has(kind)) return;
      warned.add(kind);
      options.warn(`watching ${shown}: ${message}; the scan every few seconds still finds changes`, message);
    });
    return w;
  } catch (e) {
    options.warn(`cannot watch ${shown}: ${(e as Error).message}; the scan every few seconds still finds changes`, (e as Error).message);
    return undefined;
  }
}

const watchWithChokidar: WatchFunction = (folder, { ignored, depth }) =>
  // Neither `atomic` (it holds each unlink 100 ms to pair it with an add) nor `awaitWriteFinish` (it
  // polls until a file's size stays put for 2 s): which event it was does not matter here, and the
  // debounce (150 ms) already gathers a save's several events into one build.
  chokidarWatch(folder, { ignoreInitial: true, followSymlinks: false, atomic: false, ignored, ...(depth !== undefined ? { depth } : {}) });

/**
 * The loader's rule (util/paths.ts): files and folders starting with . or _, and node_modules, are
 * not content (editor swap files too), nor is anything but Markdown; nor is the output folder when
 * it lies inside the content, which is never watched (its writes would trigger builds).
 */
export function watchRules(contentDir: string, outDir: string): { ignored: (file: string, stats?: Stats) => boolean; isContent: (file: string) => boolean } {
  const relOut = path.relative(contentDir, outDir);
  const outInside = relOut !== '' && !relOut.startsWith('..') && !path.isAbsolute(relOut);
  const relative = (file: string) => {
    const rel = path.relative(contentDir, file);
    return rel.startsWith('..') || path.isAbsolute(rel) ? undefined : rel;
  };
  const ignored = (file: string, stats?: Stats) => {
    const rel = relative(file);
    if (rel === '') return false;
    if (rel === undefined || (outInside && (rel === relOut || rel.startsWith(relOut + path.sep)))) return true;
    // Names alone decide for a folder; a file that is not Markdown is ignored once its kind is known.
    return rel.split(path.sep).some(isIgnoredName) || (!!stats && !stats.isDirectory() && !isMarkdownName(rel));
  };
  return { ignored, isContent: (file) => !ignored(file) && isContentPath(relative(file) ?? '..') };
}
