/**
 * The cache's files: each map is kept in SHARDS files by a hash of the source
 * path, so a build that changed one article rewrites one sixteenth of the
 * cache. JSON shards for the index; binary shards for texts (renders and feed
 * items), whose bytes are never JSON-escaped and are decoded only when used.
 */
import { closeSync, openSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { writeAtomically } from '../util/atomic.js';
import { sha256 } from '../util/hash.js';
import { readAt } from '../util/read.js';

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

/** The bytes, or undefined if they are not those saved (the file is written without fsync: a crash can zero it). */
export function checked(saved: Saved): Buffer | undefined {
  const { bytes } = saved;
  return sha256(bytes).slice(0, 16) === saved.digest ? bytes : undefined;
}

/** The text of checked bytes (V8 keeps a decoded string one byte a character wherever it can: no compact needed). */
export function decode(saved: Saved): string | undefined {
  return checked(saved)?.toString('utf8');
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
 * used. Only the header line is read up front: each text's bytes are read from
 * the file when first used (an edit build needs the items of a few feeds, not
 * the 20 MB of a 10 000-article site's). Lengths that do not add up to the
 * file's size mean a foreign or torn file: it is ignored. Digests are checked on
 * decode, so bytes read from a file replaced meanwhile are refused, not used.
 */
type BinaryHeader<M> = { key: string; entries: [path: string, meta: M, texts: [length: number, digest: string][]][] };

/** A shard's header line, where its texts start, and the file's size; undefined if there is none. */
async function readHeader(path: string): Promise<{ line: string; start: number; size: number } | undefined> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const { size } = await handle.stat();
    const parts: Buffer[] = [];
    for (let at = 0; at < size; ) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, size - at));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, at);
      if (bytesRead === 0) break;
      const newline = chunk.subarray(0, bytesRead).indexOf(10);
      parts.push(chunk.subarray(0, newline < 0 ? bytesRead : newline));
      if (newline >= 0) return { line: Buffer.concat(parts).toString('utf8'), start: at + newline + 1, size };
      at += bytesRead;
    }
    return undefined; // no newline: torn
  } finally {
    await handle.close();
  }
}

/** `length` bytes of `path` at `offset`, read when first asked for; no bytes if the file is gone (the digest then fails). */
function savedAt(path: string, offset: number, length: number, digest: string): Saved {
  let bytes: Buffer | undefined;
  return {
    digest,
    get bytes() {
      return (bytes ??= readRange(path, offset, length));
    },
  };
}

function readRange(path: string, offset: number, length: number): Buffer {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const out = readAt(fd, length, offset);
    return out.length === length ? out : Buffer.alloc(0);
  } catch {
    return Buffer.alloc(0);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export async function loadBinaryShards<M, V>(file: string, kind: string, key: string, make: (meta: M, texts: Saved[]) => V): Promise<ShardedMap<V>> {
  const map = new ShardedMap<V>();
  const paths = Array.from({ length: SHARDS }, (_, n) => shardFile(file, kind, n, 'bin'));
  const headers = await Promise.all(paths.map((p) => readHeader(p).catch(() => undefined)));
  for (const [n, found] of headers.entries()) {
    if (!found) continue;
    try {
      const header = JSON.parse(found.line) as BinaryHeader<M>;
      if (header?.key !== key || !Array.isArray(header.entries)) continue;
      const entries: [string, V][] = [];
      let at = found.start;
      for (const [path, meta, texts] of header.entries) {
        const saved = texts.map(([length, digest]) => {
          if (!Number.isSafeInteger(length) || length < 0) throw new Error('not a length');
          const offset = at;
          at += length;
          return savedAt(paths[n]!, offset, length, String(digest));
        });
        entries.push([path, make(meta, saved)]);
      }
      if (at !== found.size) continue;
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
