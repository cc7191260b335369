/**
 * Step 6, the one write path: every file feedpipe publishes goes out through
 * `writeOutput` (a build's, and a build prepared before a due time), atomically,
 * with the cache of articles and renders saved meanwhile (CPU while the writes
 * wait for the disk).
 */
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostics.js';
import type { BuildCache } from '../incremental/cache.js';
import { recordOutputs } from '../incremental/outputs.js';
import type { FeedRecords } from '../publish/feed-records.js';
import { publishFiles, type FileContent, type WriteResult } from '../publish/write.js';
import { toDisplayPath } from '../util/paths.js';
import { itemsChange, type PublishedItems } from './renamed.js';
import type { BuildRun } from './run.js';
import type { Serialised } from './serialise.js';

/**
 * Publishes `output` (and `keep`, unchanged) into `outDir`, and records `items` beside it; the
 * result with the warnings of ids that changed since the last publication (build/renamed.ts), or a
 * `write-failed` diagnostic's fields.
 */
export async function writeOutput(
  outDir: string,
  output: ReadonlyMap<string, FileContent>,
  options: { keep?: ReadonlySet<string>; updated: ReadonlyMap<string, Date>; now: Date; cwd: string; items?: PublishedItems | undefined; feeds?: FeedRecords | undefined },
): Promise<{ write: WriteResult; warnings: Diagnostic[] } | { failed: ReturnType<typeof diagnostic> }> {
  try {
    const change = options.items ? await itemsChange(outDir, options.items) : undefined;
    const write = await publishFiles(outDir, output, { ...(options.keep ? { keep: options.keep } : {}), updated: options.updated, now: options.now, ...(options.feeds ? { feeds: options.feeds } : {}) });
    await change?.save?.().catch(() => undefined); // a hint for the next build's warnings, never worth failing this one
    return { write, warnings: change?.warnings ?? [] };
  } catch (e) {
    return {
      failed: diagnostic({ code: 'write-failed', file: toDisplayPath(outDir, options.cwd), message: `could not write the feeds: ${(e as Error).message}` }),
    };
  }
}

/** Writes a build's files (when it writes) and saves its cache; the report gets `write` or the failure. */
export async function writeStage(run: BuildRun, cache: BuildCache, serialised: Serialised, keep: ReadonlySet<string>, carried: ReadonlySet<string>): Promise<void> {
  const { report } = run;
  cache.pruneRenders(carried);
  cache.pruneFragments(carried);
  const publishing = run.write ? writeOutput(run.outDir, serialised.output, { keep, updated: report.updated, now: run.now, cwd: run.cwd, items: report.items, feeds: report.feedRecords }) : undefined;
  const savingContent = cache.saveContent().catch(() => undefined); // a cache that cannot be saved costs speed, never correctness
  if (publishing) {
    const written = await publishing;
    if ('write' in written) {
      report.write = written.write;
      report.diagnostics.push(...written.warnings);
      serialised.output.clear(); // written: their bytes (tens of MB on a cold build) need not wait for the cache to be saved
      try {
        recordOutputs(cache, run.outDir, written.write, serialised.fingerprints);
      } catch (e) {
        // A file gone already (not while the lock is held): reported like a failed write, so nothing is proven from it and a publisher retries.
        report.diagnostics.push(diagnostic({ code: 'write-failed', file: toDisplayPath(run.outDir, run.cwd), message: `could not write the feeds: ${(e as Error).message}` }));
      }
    } else report.diagnostics.push(written.failed);
  }
  await savingContent;
  await cache.save().catch(() => undefined);
}
