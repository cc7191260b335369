/**
 * The scan behind `start --watch`'s watcher: every few seconds it lists the content folder as the
 * loader does (content/find.ts) and stats every file and the config (size, mtime, ctime, inode:
 * incremental/stat.ts), and reports what differs from the last look. An event the system dropped
 * (a full inotify table, a file written in the instant a new folder was being watched) is so found
 * within one period, whatever the watcher missed.
 *
 * It stays cheap on a large site: the stats are taken in slices with a timer turn between them
 * (the server and the due timer never wait long for it), and the next scan waits at least
 * COST_FACTOR times as long as this one took, so it never takes more than ~2 % of the time.
 */
import { lstatSync, statSync, type Stats } from 'node:fs';
import { findMarkdownFiles } from '../content/find.js';
import { sameStat, statOf, type FileStat } from '../incremental/stat.js';
import { isMarkdownName } from '../util/paths.js';
import type { Timers } from './publisher.js';

/** How often the scan looks, at least; 0 turns it off. */
export const SCAN_EVERY_MS = 3000;
/** The wait before the next scan is at least this many times the last scan's own time. */
const COST_FACTOR = 50;
/** Files stat'ed between two timer turns (about a millisecond or two of work). */
const SLICE = 500;

export interface SweepOptions {
  contentDir: string;
  configFile: string | undefined;
  timers: Timers;
  everyMs: number;
  /** What differs from the last look: a content file (added, changed, removed), or `undefined` for the config. */
  onFound: (file: string | undefined) => void;
  /** Injected for tests; default performance.now. */
  now?: () => number;
}

export interface Sweep {
  /** The watcher reported this (a file, a folder, or `undefined`: everything). */
  reported(file: string | undefined): void;
  /** Takes the reported paths' current stats as seen: the build about to run reads them after this. */
  absorbReported(): void;
  stop(): void;
}

export function startSweep(options: SweepOptions): Sweep {
  const { contentDir, configFile, timers } = options;
  const now = options.now ?? (() => performance.now());
  const list = () => [...findMarkdownFiles(contentDir).files, ...(configFile ? [configFile] : [])];
  let seen = new Map<string, FileStat>();
  const lookAtAll = () => {
    seen = new Map();
    for (const file of list()) {
      const st = statOrNot(file);
      if (st) seen.set(file, statOf(st));
    }
  };
  const on = options.everyMs > 0;
  if (on) lookAtAll();
  let reported: Set<string> | 'all' = new Set();
  let timer: unknown;
  let stopped = false;
  const found = (file: string) => options.onFound(file === configFile ? undefined : file);

  /** One scan, slice by slice; `seen` is brought up to date file by file, so a race only ever reports a file twice. */
  const scan = () => {
    let files: string[];
    try {
      files = list();
    } catch {
      files = []; // an unreadable folder is the loader's to report
    }
    const listed = new Set(files);
    let next = 0;
    let spent = 0;
    const slice = () => {
      timer = undefined;
      const began = now();
      for (const end = Math.min(next + SLICE, files.length); next < end; next++) {
        const file = files[next]!;
        const st = statOrNot(file);
        const before = seen.get(file);
        if (st && before && sameStat(before, st)) continue;
        if (st) seen.set(file, statOf(st));
        else seen.delete(file);
        if (st || before) found(file);
      }
      if (next === files.length)
        for (const file of seen.keys())
          if (!listed.has(file)) {
            seen.delete(file);
            found(file);
          }
      spent += now() - began;
      if (stopped) return;
      timer = next < files.length ? timers.setTimeout(slice, 0) : timers.setTimeout(scan, Math.max(options.everyMs, COST_FACTOR * spent));
    };
    slice();
  };
  if (on) timer = timers.setTimeout(scan, options.everyMs);

  return {
    reported: (file) => {
      if (file === undefined || !isMarkdownName(file)) reported = 'all';
      else if (reported !== 'all') reported.add(file);
    },
    absorbReported: () => {
      if (!on) return;
      if (reported === 'all') lookAtAll();
      else
        for (const file of reported) {
          // A link is not content (content/find.ts): a scan would find it gone.
          const st = statOrNot(file, true);
          if (st) seen.set(file, statOf(st));
          else seen.delete(file);
        }
      reported = new Set();
    },
    stop: () => {
      stopped = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** The file's stat, or undefined when it is not there (or not a plain file, with `plain`; or gone into a folder that became a file). */
function statOrNot(file: string, plain = false): Stats | undefined {
  try {
    const st = plain ? lstatSync(file, { throwIfNoEntry: false }) : statSync(file, { throwIfNoEntry: false });
    return st && (!plain || st.isFile()) ? st : undefined;
  } catch {
    return undefined;
  }
}
