/**
 * Proof that the last build's result still stands, without loading the cache
 * index or a single article: a build's output is a function of the content,
 * the config (in the cache key) and `now`. If every content file has the stat
 * it had (the same inputs), select's window of that build holds at this clock
 * (the same articles are public), and every published file is as that build
 * left it, a new build would write the same bytes. Then only the content
 * folder is listed and stat'ed: a no-op build of 10 000 articles costs what
 * 10 000 stats cost.
 */
import { readFile, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostics.js';
import { MANIFEST } from '../publish/files.js';
import { holdsAt, type ClockWindow, type Counts } from '../publish/select.js';
import { writeAtomically } from '../util/atomic.js';
import { sameStat, statOf, type FileStat } from './stat.js';

export interface Standing {
  key: string;
  /** digestStats of every content file. */
  inputs: string;
  /** The window of the selection the build published. */
  window: ClockWindow;
  counts: Counts;
  nextDue?: { date: number; file: string };
  feeds: { key: string; items: number; updated: number; files: string[] }[];
  updated: [string, number][];
  diagnostics: Diagnostic[];
  /** Every published file and the manifest, as the build left them. */
  outputs: [string, FileStat][];
}

export function standingFile(cacheFile: string): string {
  return cacheFile.replace(/\.json$/, '.standing.json');
}

export async function loadStanding(file: string, key: string): Promise<Standing | undefined> {
  try {
    const s = JSON.parse(await readFile(file, 'utf8')) as Standing;
    return s.key === key && typeof s.inputs === 'string' && Array.isArray(s.outputs) && typeof s.window?.validFrom === 'number' ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `standing` holds at `now` for content whose stats digest to `inputs` and the files now in `outDir`. */
export function stands(standing: Standing, inputs: string | undefined, now: number, outDir: string): boolean {
  if (inputs === undefined || standing.inputs !== inputs) return false;
  if (!holdsAt(standing.window, now)) return false;
  for (const [rel, was] of standing.outputs) {
    try {
      if (!sameStat(statSync(path.join(outDir, rel)), was)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

export function outputStats(outDir: string, files: Iterable<string>): [string, FileStat][] {
  return [...files, MANIFEST].map((rel) => [rel, statOf(statSync(path.join(outDir, rel)))]);
}

export async function saveStanding(file: string, standing: Standing | undefined): Promise<void> {
  if (standing) await writeAtomically(file, Buffer.from(JSON.stringify(standing)));
  else await rm(file, { force: true });
}
