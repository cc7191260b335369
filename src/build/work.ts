/**
 * Parsing, the first CPU-heavy step of a build, as a plain function of plain
 * data, so it runs the same on the main thread and in worker threads
 * (worker.ts). Rendering, the second, is render-task.ts.
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import type { Config } from '../config/config.js';
import { statOf, type FileStat } from '../incremental/stat.js';
import { readAt } from '../util/read.js';
import { tooLarge, unreadable } from './file-errors.js';
import { splitSource } from '../content/split.js';
import { validateArticle } from '../content/schema.js';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostics.js';
import { findExcessiveNesting, MAX_NESTING } from '../content/nesting.js';
import { findLimitBreach, HINT } from '../content/limits.js';
import { sha256 } from '../util/hash.js';
import { storeArticle, type StoredArticle } from '../incremental/stored.js';

export interface FileRef {
  absPath: string;
  relPath: string;
  displayPath: string;
}

export interface ParsedFile {
  hash: string;
  article?: StoredArticle;
  diagnostics: Diagnostic[];
  /** The file's stat, taken on the open file before it was read (asked for with `withStat`). */
  stat?: FileStat;
}

/**
 * Reads, hashes, splits and validates one Markdown file. `withStat`: the caller has not stat'ed
 * it (a build with no cache: load.ts); it is stat'ed here, on the open file before it is read (so
 * a later write moves the stat), checked against `limits.maxFileBytes`, and the stat returned.
 */
export function parseFile(ref: FileRef, config: Config, withStat = false): ParsedFile {
  let buffer: Buffer;
  let stat: FileStat | undefined;
  try {
    if (withStat) {
      const fd = openSync(ref.absPath, 'r');
      try {
        stat = statOf(fstatSync(fd));
        if (stat.size > config.limits.maxFileBytes) return { hash: '', stat, diagnostics: [tooLarge(ref, stat.size, config.limits.maxFileBytes)] };
        // Its size when stat'ed: one that grew since is read again next build (its stat moved).
        buffer = readAt(fd, stat.size, 0);
      } finally {
        closeSync(fd);
      }
    } else {
      buffer = readFileSync(ref.absPath);
    }
  } catch (e) {
    return { hash: '', ...(stat ? { stat } : {}), diagnostics: [unreadable(ref, e)] };
  }
  const parsed = parseBytes(ref, config, buffer);
  return stat ? { ...parsed, stat } : parsed;
}

function parseBytes(ref: FileRef, config: Config, buffer: Buffer): ParsedFile {
  const hash = sha256(buffer);
  try {
    const split = splitSource(buffer, ref.absPath, ref.displayPath, ref.relPath);
    const validated = split.source ? validateArticle(split.source, config) : { diagnostics: [] as Diagnostic[] };
    const diagnostics = [...split.diagnostics, ...validated.diagnostics];
    if (split.source?.body !== undefined && 'article' in validated && validated.article) {
      const over = overLimits(split.source.body, split.source.bodyLine, ref.displayPath);
      if (over) return { hash, diagnostics: [...diagnostics, over] };
    }
    return { hash, diagnostics, ...('article' in validated && validated.article ? { article: storeArticle(validated.article) } : {}) };
  } catch (e) {
    // A parser bug or a limit we did not foresee must cost one file, not the build or the publisher.
    return { hash, diagnostics: [diagnostic({ code: 'parse-failed', file: ref.displayPath, message: `could not be read: ${(e as Error).message}` })] };
  }
}

/**
 * A body no worker should be asked to render: nested too deep on one line, or
 * past one of content/limits.ts's bounds. The file then yields no article.
 */
function overLimits(body: string, bodyLine: number, file: string): Diagnostic | undefined {
  const deep = findExcessiveNesting(body);
  if (deep) {
    return diagnostic({
      code: 'nesting-too-deep',
      file,
      line: bodyLine + deep.line - 1,
      column: 1,
      message: `quotes, lists or indentation nest more than ${MAX_NESTING} levels deep`,
    });
  }
  const breach = findLimitBreach(body);
  if (!breach) return undefined;
  return diagnostic({
    code: 'markdown-too-complex',
    file,
    line: bodyLine + breach.line - 1,
    column: breach.column,
    message: `${breach.message}: over feedpipe's limit, which keeps rendering fast`,
    hint: HINT[breach.limit],
  });
}
