/**
 * What a one-off build needs to re-process only the files that changed since
 * the last one (`feedpipe build`, with `reuseLastResult`). Saved beside the
 * standing proof (src/standing.ts) after every such build that published:
 *
 * - every content file's path, stat and hash, as that build read it;
 * - the feeds it published, each with its items (the articles, as stored);
 * - the counts, the next due article and the diagnostics of loading.
 *
 * A later build that finds some files changed (by stat) parses only those.
 * If each either has the same bytes as then, or still has the same place in
 * the site (id, URL, dates, draft flag, section and tags: everything
 * selection and grouping read), and the clock is in the same window, then
 * every feed carries the same articles in the same order as then, and only
 * the items of the changed articles, and the frames of the feeds carrying
 * them, can differ. So the build serialises those feeds from the summary
 * instead of loading, selecting and grouping 10 000 articles. Anything else
 * (a file added, removed, moved in the site, or with an error) falls back to
 * the full build.
 */
import { readFile, rm } from 'node:fs/promises';
import type { Diagnostic } from '../diagnostics/diagnostics.js';
import { sameFeeds, type FeedModel } from '../publish/model.js';
import { writeAtomically } from '../util/atomic.js';
import { sameToSelect, type ClockWindow, type Counts } from '../publish/select.js';
import { isRacy, type FileStat } from './stat.js';
import type { StoredArticle } from './stored.js';

/** Hashes are kept to this many hex digits (128 bits): enough to tell two versions of a file apart. */
const HASH_DIGITS = 32;

export type StoredModel = Omit<FeedModel, 'items' | 'updated'> & { updated: number; items: number[] };

export interface SiteSummary {
  key: string;
  /** The window of the selection the build published. */
  window: ClockWindow;
  /** Every content file, sorted. */
  paths: string[];
  /** Per path: size, mtime, ctime and inode, flattened; the mtime is negative when the stat was too fresh to trust. */
  stats: Float64Array;
  /** Per path: the first HASH_DIGITS of the hash of the bytes it was built from. */
  hashes: string[];
  /** The articles some feed carries: their path's index, full hash, and the article as stored. */
  carried: [index: number, hash: string, article: StoredArticle][];
  /** The feeds, each item an index into `carried`. */
  models: StoredModel[];
  counts: Counts;
  nextDue?: { date: number; file: string };
  /** What loading and validating reported (not rendering: that is reported by the build that renders). */
  diagnostics: Diagnostic[];
}

export function summaryFile(cacheFile: string): string {
  return cacheFile.replace(/\.json$/, '.summary.json');
}

/**
 * The file is one line of JSON (everything but the three per-file lists),
 * then the paths (UTF-8, one a line), the stats (float64s) and the hashes
 * (HASH_DIGITS ASCII characters each): at 100 000 files, 15 MB of JSON took
 * 0.4 s to write; this takes a tenth of that.
 */
type Header = Omit<SiteSummary, 'paths' | 'stats' | 'hashes'> & { files: number; pathBytes: number };

export async function loadSummary(file: string, key: string): Promise<SiteSummary | undefined> {
  try {
    const buf = await readFile(file);
    const newline = buf.indexOf(10);
    const header = JSON.parse(buf.toString('utf8', 0, newline)) as Header;
    const { files: n, pathBytes, ...rest } = header;
    let at = newline + 1;
    const paths = n ? buf.toString('utf8', at, (at += pathBytes)).split('\n') : [];
    const stats = new Float64Array(n * 4);
    Buffer.from(stats.buffer).set(buf.subarray(at, (at += stats.byteLength)));
    const hashText = buf.toString('latin1', at, (at += n * HASH_DIGITS));
    if (rest.key !== key || typeof rest.window?.validFrom !== 'number' || paths.length !== n || at !== buf.length || !Array.isArray(rest.carried) || !Array.isArray(rest.models)) return undefined;
    const hashes = Array.from({ length: n }, (_, i) => hashText.slice(i * HASH_DIGITS, (i + 1) * HASH_DIGITS));
    return { ...rest, paths, stats, hashes };
  } catch {
    return undefined; // none, torn or foreign: the full build
  }
}

export async function saveSummary(file: string, summary: SiteSummary | undefined): Promise<void> {
  // A path with a line break cannot be listed one a line: no summary (the next build is a full one).
  if (!summary || summary.paths.some((p) => p.includes('\n'))) return rm(file, { force: true });
  const { paths, stats, hashes, ...rest } = summary;
  const pathText = Buffer.from(paths.join('\n'));
  const header: Header = { ...rest, files: paths.length, pathBytes: pathText.length };
  const hashText = Buffer.from(hashes.map((h) => h.padEnd(HASH_DIGITS, '-')).join(''), 'latin1');
  await writeAtomically(file, [Buffer.from(JSON.stringify(header) + '\n'), pathText, Buffer.from(stats.buffer, stats.byteOffset, stats.byteLength), hashText], { durable: false });
}

export function shortHash(hash: string): string {
  return hash.slice(0, HASH_DIGITS);
}

/** Flattens `paths`' stats for a summary; undefined if one is missing. */
export function flatStats(paths: readonly string[], stats: ReadonlyMap<string, FileStat>, wallAtStat: number): Float64Array | undefined {
  const out = new Float64Array(paths.length * 4);
  for (let i = 0; i < paths.length; i++) {
    const st = stats.get(paths[i]!);
    if (!st) return undefined;
    out[i * 4] = st.size;
    out[i * 4 + 1] = isRacy(st, wallAtStat) ? -st.mtimeMs : st.mtimeMs;
    out[i * 4 + 2] = st.ctimeMs;
    out[i * 4 + 3] = st.ino;
  }
  return out;
}

/**
 * The indexes of the files whose stat changed since `summary` (or could not
 * be trusted then); undefined if the files are not the same ones.
 */
export function changedSince(summary: SiteSummary, paths: readonly string[], stats: ReadonlyMap<string, FileStat>): number[] | undefined {
  if (paths.length !== summary.paths.length) return undefined;
  const changed: number[] = [];
  for (let i = 0; i < paths.length; i++) {
    if (paths[i] !== summary.paths[i]) return undefined;
    const st = stats.get(paths[i]!);
    if (!st) return undefined;
    const s = summary.stats;
    if (st.size !== s[i * 4] || st.mtimeMs !== s[i * 4 + 1] || st.ctimeMs !== s[i * 4 + 2] || st.ino !== s[i * 4 + 3]) changed.push(i);
  }
  return changed;
}

/**
 * Whether two versions of an article have the same place in the site: select sees them alike
 * (sameToSelect), and so do what sorts, groups and checks duplicates after it (URL, `updated`,
 * section, tags in their exact spelling).
 */
export function samePlace(a: StoredArticle, b: StoredArticle): boolean {
  return sameToSelect(a, b) && a.url === b.url && a.updated === b.updated && sameFeeds(a, b);
}
