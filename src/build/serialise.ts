/**
 * Step 5: serialise and re-parse every file in memory before anything is
 * written. A feed file is a frame around one fragment per item; each fragment
 * is made and verified once per format, however many feeds carry it, and kept
 * in the cache while its article's file is unchanged.
 */
import type { Article } from '../content/schema.js';
import type { BuildCache } from '../incremental/cache.js';
import { FEED_FILES, INDEX_FILE, type FeedFormat } from '../publish/files.js';
import type { FeedModel } from '../publish/model.js';
import type { RenderedMap } from '../publish/shared.js';
import type { FileContent } from '../publish/write.js';
import type { PublishPlan } from './plan.js';
import type { BuildRun } from './run.js';

export interface Serialised {
  /** What to write, by path: text, or UTF-8 bytes (a feed's in chunks) when the report does not keep the files. */
  output: Map<string, FileContent>;
  /** What each file was made from, for the next build's reuse check. */
  fingerprints: Map<string, string>;
}

/** Whether this build makes its files as UTF-8 bytes (a one-off build or a publisher that writes) rather than as text kept in the report. */
export function filesAsBytes(run: BuildRun): boolean {
  return run.options.keepFiles === false && run.write;
}

export async function serialiseStage(run: BuildRun, cache: BuildCache, plan: PublishPlan, models: readonly FeedModel[], rendered: RenderedMap, hashOf: (a: Article) => string): Promise<Serialised> {
  const { report } = run;
  const result: Serialised = { output: new Map(), fingerprints: new Map() };
  if (!plan.pending.length && !plan.pages.length) return result;
  const keepFiles = !filesAsBytes(run);
  const emit = (rel: string, file: string | readonly Buffer[], fingerprint: string) => {
    report.stats.serialized++;
    if (typeof file === 'string' && keepFiles) report.files.set(rel, file);
    result.output.set(rel, keepFiles || typeof file !== 'string' ? file : Buffer.from(file, 'utf8'));
    result.fingerprints.set(rel, fingerprint);
  };
  const [{ SERIALISERS }, { fragmentContext, serialiseFeed }, { verifyOutput }, { renderIndexPage }, { FEED_STYLESHEET }] = await Promise.all([
    import('../publish/items.js'),
    import('../publish/fragment.js'),
    import('../publish/verify.js'),
    import('../publish/page.js'),
    import('../publish/xsl.js'),
  ]);
  // Feeds not kept as text are assembled as the bytes that are written.
  const fragments = fragmentContext(SERIALISERS, cache, rendered, hashOf, { bytes: !keepFiles });
  for (const { model, fingerprint } of plan.pending) {
    for (const format of Object.keys(FEED_FILES) as FeedFormat[]) {
      const rel = model.dir + FEED_FILES[format];
      const { file, items, diagnostics } = serialiseFeed(model, format, rel, fragments);
      report.diagnostics.push(...diagnostics);
      if (format === 'json' && items && !model.history?.archive) (report.jsonItems ??= new Map()).set(rel, items);
      emit(rel, file, fingerprint);
    }
  }
  report.stats.fragments += fragments.made;
  for (const { rel, fingerprint } of plan.pages) {
    const text = rel === INDEX_FILE ? renderIndexPage(models, run.config, rendered) : FEED_STYLESHEET;
    report.diagnostics.push(...verifyOutput(rel, text));
    emit(rel, text, fingerprint);
  }
  return result;
}
