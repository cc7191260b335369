/**
 * Whether a published file need not be serialised again: it was written from
 * the same fingerprint (everything its bytes depend on) and is still on disk
 * as it was left. Downstream of select: a feed's fingerprint covers its items,
 * which select and the model chose.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Article } from '../content/schema.js';
import type { FeedModel } from '../publish/model.js';
import { sha256 } from '../util/hash.js';
import type { BuildCache } from './cache.js';

/** Everything a feed file's bytes depend on (the config and feedpipe's version are in the cache key). */
export function fingerprintOf(model: FeedModel, cache: BuildCache, hashOf: (a: Article) => string): string {
  const { items, ...meta } = model;
  const metaJson = JSON.stringify(meta);
  // An article object is replaced whenever its file's bytes change: the same objects, the same items.
  const last = cache.fingerprints.get(model.key);
  if (last && last.meta === metaJson && last.items.length === items.length && last.items.every((a, i) => a === items[i])) return last.fingerprint;
  const fingerprint = sha256(JSON.stringify({ meta, items: items.map((a) => [a.source.relPath, hashOf(a)]) }));
  cache.fingerprints.set(model.key, { meta: metaJson, items, fingerprint });
  return fingerprint;
}

/** Whether every one of `files` was written from `fingerprint` and is untouched since. */
export function allUnchanged(files: readonly string[], fingerprint: string, outDir: string, cache: BuildCache): boolean {
  for (const rel of files) {
    const out = cache.outputs.get(rel);
    if (!out || out.fingerprint !== fingerprint) return false;
    let st;
    try {
      st = statSync(path.join(outDir, rel));
    } catch {
      return false;
    }
    if (st.size !== out.size || st.mtimeMs !== out.mtimeMs) return false;
  }
  return true;
}

/** Remembers what each written or unchanged file was made from, for the next build's allUnchanged. */
export function recordOutputs(cache: BuildCache, outDir: string, write: { written: string[]; unchanged: string[]; removed: string[] }, fingerprints: ReadonlyMap<string, string>): void {
  for (const rel of [...write.written, ...write.unchanged]) {
    const fingerprint = fingerprints.get(rel);
    if (!fingerprint) continue;
    const st = statSync(path.join(outDir, rel));
    cache.outputs.set(rel, { fingerprint, size: st.size, mtimeMs: st.mtimeMs });
    cache.dirty = true;
  }
  for (const rel of write.removed) if (cache.outputs.delete(rel)) cache.dirty = true;
}
