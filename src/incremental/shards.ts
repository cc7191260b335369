/**
 * The cache's files: each map is kept in SHARDS files by a hash of the source
 * path, so a build that changed one article rewrites one sixteenth of the
 * cache. JSON shards for the index; binary shards for texts (renders and feed
 * items), whose bytes are never JSON-escaped and are decoded only when used.
 */
import { readFile } from 'node:fs/promises';
import { compact } from '../publish/text.js';
import { writeAtomically } from '../util/atomic.js';
import { sha256 } from '../util/hash.js';

/**
 * The index and the renders are each kept in this many files, by a hash of the
 * source path: a build that changed one article rewrites one sixteenth of the
 * cache, not all of it (8 MB for 10 000 articles). Every entry is checked
 * against its file on use, so shards saved by different builds mix safely.
 */
export const SHARDS = 16;

export function shardOf(key: string): number {
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % SHARDS;
}

/** A Map that remembers which shards its changes touched. */
export class ShardedMap<V> extends Map<string, V> {
  dirty = new Set<number>();

  override set(key: string, value: V): this {
    super.set(key, value);
    this.dirty?.add(shardOf(key)); // undefined while the Map constructor adds initial entries
    return this;
  }

  override delete(key: string): boolean {
    const had = super.delete(key);
    if (had) this.dirty.add(shardOf(key));
    return had;
  }

  override clear(): void {
    super.clear();
    for (let i = 0; i < SHARDS; i++) this.dirty.add(i);
  }

  /** The entries of each of `shards`, in one pass. */
  entriesOf(shards: readonly number[]): Map<number, [string, V][]> {
    const out = new Map(shards.map((n) => [n, [] as [string, V][]]));
    for (const entry of this) out.get(shardOf(entry[0]))?.push(entry);
    return out;
  }
}
/** Text as read from a binary shard (saveBinaryShards): its UTF-8 bytes, decoded on first use once their digest checks. */
export interface Saved {
  bytes: Buffer;
  /** First 16 hex digits of the bytes' sha256. */
  digest: string;
}

/** The text, or undefined if the bytes are not those saved (the file is written without fsync: a crash can zero it). */
export function decode(saved: Saved): string | undefined {
  return sha256(saved.bytes).slice(0, 16) === saved.digest ? compact(saved.bytes.toString('utf8')) : undefined;
}

/** The cache is a hint: it is written atomically but not synced to disk (see writeAtomically). */
export const HINT = { durable: false };

function shardFile(file: string, kind: string, n: number, ext = 'json'): string {
  return file.replace(/\.json$/, `.${kind}-${n.toString(16)}.${ext}`);
}

export async function loadShards<V>(file: string, kind: string, key: string, only?: ReadonlySet<number>): Promise<ShardedMap<V>> {
  const shards = await Promise.all(Array.from({ length: SHARDS }, (_, n) => (only && !only.has(n) ? undefined : readJson<{ key?: string; entries?: [string, V][] }>(shardFile(file, kind, n)))));
  const map = new ShardedMap<V>();
  shards.forEach((saved) => {
    if (saved?.key === key && Array.isArray(saved.entries)) for (const [k, v] of saved.entries) map.set(k, v);
  });
  map.dirty.clear();
  return map;
}

export async function saveShards<V>(file: string, kind: string, key: string, map: ShardedMap<V>): Promise<void> {
  if (!map.dirty.size) return;
  const shards = map.entriesOf([...map.dirty]);
  map.dirty.clear();
  // One shard at a time: its bytes are let go before the next is made (the peak memory of a cold build is here).
  for (const [n, entries] of shards) await writeAtomically(shardFile(file, kind, n), Buffer.from(JSON.stringify({ key, entries })), HINT);
}

/**
 * A binary shard: one line of JSON (the key, and per path some metadata and
 * the length and digest of each of its texts), then the texts' UTF-8 bytes
 * back to back. No JSON escaping of HTML and XML, and nothing decoded until
 * used: an edit build reads the 20 MB of saved feed items of a 10 000-article
 * site in about 10 ms. Lengths that do not add up to the file's size mean a
 * foreign or torn file: it is ignored. Digests are checked on decode.
 */
type BinaryHeader<M> = { key: string; entries: [path: string, meta: M, texts: [length: number, digest: string][]][] };

export async function loadBinaryShards<M, V>(file: string, kind: string, key: string, make: (meta: M, texts: Saved[]) => V): Promise<ShardedMap<V>> {
  const map = new ShardedMap<V>();
  const shards = await Promise.all(Array.from({ length: SHARDS }, (_, n) => readFile(shardFile(file, kind, n, 'bin')).catch(() => undefined)));
  for (const buf of shards) {
    if (!buf) continue;
    const newline = buf.indexOf(10);
    try {
      const header = JSON.parse(buf.toString('utf8', 0, newline < 0 ? buf.length : newline)) as BinaryHeader<M>;
      if (newline < 0 || header?.key !== key || !Array.isArray(header.entries)) continue;
      const entries: [string, V][] = [];
      let at = newline + 1;
      for (const [path, meta, texts] of header.entries) {
        const saved = texts.map(([length, digest]) => {
          if (!Number.isSafeInteger(length) || length < 0) throw new Error('not a length');
          return { bytes: buf.subarray(at, (at += length)), digest: String(digest) };
        });
        entries.push([path, make(meta, saved)]);
      }
      if (at !== buf.length) continue;
      for (const [path, v] of entries) map.set(path, v);
    } catch {
      // a foreign or torn shard: as if there were none
    }
  }
  map.dirty.clear();
  return map;
}

export async function saveBinaryShards<V, M>(file: string, kind: string, key: string, map: ShardedMap<V>, split: (v: V) => [M, (Saved | string)[]]): Promise<void> {
  if (!map.dirty.size) return;
  const shards = map.entriesOf([...map.dirty]);
  map.dirty.clear();
  // One shard at a time: its bytes are let go before the next is made.
  for (const [n, entries] of shards) {
    const header: BinaryHeader<M> = { key, entries: [] };
    const parts: Buffer[] = [];
    for (const [path, v] of entries) {
      const [meta, texts] = split(v);
      const lengths = texts.map((t): [number, string] => {
        const saved = typeof t === 'string' ? { bytes: Buffer.from(t, 'utf8'), digest: '' } : t;
        parts.push(saved.bytes);
        return [saved.bytes.length, saved.digest || sha256(saved.bytes).slice(0, 16)];
      });
      header.entries.push([path, meta, lengths]);
    }
    // JSON.stringify escapes line breaks in strings: the header is one line.
    await writeAtomically(shardFile(file, kind, n, 'bin'), [Buffer.from(JSON.stringify(header) + '\n'), ...parts], HINT);
  }
}

export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined; // no cache, or one cut short by a crash: start cold
  }
}
