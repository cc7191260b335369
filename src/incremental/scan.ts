/**
 * Which content files a build looks at. A full scan lists the content folder;
 * a publisher's build after a watched change takes the last scan's list with
 * the changed paths applied (and looks only at those), unless a change is not
 * a plain Markdown file (a folder, a rename): then it scans everything.
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { findMarkdownFiles } from '../content/find.js';
import type { Diagnostic } from '../diagnostics/diagnostics.js';
import { isContentPath, isMarkdownName } from '../util/paths.js';
import type { BuildCache } from './cache.js';

export interface Scan {
  /** Every content file, sorted. */
  paths: string[];
  diagnostics: Diagnostic[];
  /** With a watcher's changes: the only files that may differ from the last build. */
  changed?: Set<string>;
}

export async function scanContent(
  contentDir: string,
  cache: BuildCache,
  changedPaths: readonly string[] | undefined,
  prescanned?: { files: string[]; diagnostics: Diagnostic[] },
): Promise<Scan> {
  if (changedPaths && cache.complete) {
    // From the last scan's list, not from cache.files: a file with no entry (too large, unreadable) is still content.
    // Copied only when a file comes or goes; an edit looks its path up in the list's set, made once per list.
    // (With no list yet, one is made from the cache's entries at once: it is saved below anyway.)
    let paths = cache.paths ? undefined : new Set(cache.files.keys());
    const list = () => (paths ??= new Set(cache.paths));
    const has = (abs: string) => (paths ?? setOf(cache.paths!)).has(abs);
    const changed = new Set<string>();
    let simple = true;
    let same = !!cache.paths; // the same files as the last scan: its sorted list stands
    for (const p of changedPaths) {
      const abs = path.resolve(p);
      const rel = path.relative(contentDir, abs);
      if (rel.startsWith('..') || path.isAbsolute(rel)) continue; // not content (e.g. the config)
      if (!isContentPath(rel)) {
        if (!isMarkdownName(abs)) simple = false; // a folder or rename: look at everything
        continue;
      }
      const st = await lstat(abs).catch(() => undefined);
      if (st?.isFile()) {
        if (!has(abs)) {
          same = false;
          list().add(abs);
        }
        changed.add(abs);
      }
      else if (!st) {
        if (has(abs)) {
          same = false;
          list().delete(abs);
        }
        cache.files.delete(abs);
        cache.articles.delete(abs);
        cache.dirty = true;
      } else simple = false;
    }
    if (simple) {
      if (!same || !cache.paths) cache.paths = [...list()].sort();
      return { paths: cache.paths, diagnostics: [], changed };
    }
  }
  const found = prescanned ?? findMarkdownFiles(contentDir);
  const present = new Set(found.files);
  for (const p of cache.files.keys()) {
    if (!present.has(p)) {
      cache.files.delete(p);
      cache.dirty = true;
    }
  }
  cache.complete = true;
  cache.paths = found.files;
  return { paths: found.files, diagnostics: found.diagnostics };
}

/** The paths of a scan's list (never changed once made: a new list replaces it), as a set. */
const sets = new WeakMap<readonly string[], Set<string>>();
function setOf(list: readonly string[]): Set<string> {
  let set = sets.get(list);
  if (!set) sets.set(list, (set = new Set(list)));
  return set;
}
