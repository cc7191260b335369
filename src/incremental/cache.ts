import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Article } from '../content/schema.js';
import type { Selection } from '../publish/select.js';
import type { ClockWindow, FileStat } from './standing.js';
import type { Diagnostic } from '../diagnostics/diagnostics.js';
import { compact } from '../publish/text.js';
import { writeAtomically } from '../util/atomic.js';
import type { FeedFormat } from '../publish/files.js';
import type { StoredFragment } from '../publish/fragment.js';

/**
 * Bump when parsing, validation, rendering or serialisation changes output, so
 * a cache written by an older feedpipe is never trusted.
 */
export const CACHE_FORMAT = 4;

/**
 * The index and the renders are each kept in this many files, by a hash of the
 * source path: a build that changed one article rewrites one sixteenth of the
 * cache, not all of it (8 MB for 10 000 articles). Every entry is checked
 * against its file on use, so shards saved by different builds mix safely.
 */
const SHARDS = 16;

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

/** An article as stored: dates as epoch ms, no body (it is re-read when a render is needed). */
export type StoredArticle = Omit<Article, 'source' | 'date' | 'updated'> & { date: number; updated?: number; frontmatterLine: number; bodyLine: number };

export interface StoredRender {
  /** Hash of the source file it was rendered from. */
  hash: string;
  html: string;
  summary: string;
  diagnostics: Diagnostic[];
}

/** Text as read from a binary shard (saveBinaryShards): its UTF-8 bytes, decoded on first use once their digest checks. */
interface Saved {
  bytes: Buffer;
  /** First 16 hex digits of the bytes' sha256. */
  digest: string;
}

/** The text, or undefined if the bytes are not those saved (the file is written without fsync: a crash can zero it). */
function decode(saved: Saved): string | undefined {
  return sha256(saved.bytes).slice(0, 16) === saved.digest ? compact(saved.bytes.toString('utf8')) : undefined;
}

type SavedFragment = Saved & { verifiedIn: string };
type SavedRender = Omit<StoredRender, 'html'> & { html: Saved };

interface FragmentEntry {
  hash: string;
  formats: Partial<Record<FeedFormat, StoredFragment | SavedFragment>>;
}

export interface SelectionMemo extends ClockWindow {
  articles: readonly Article[];
  selection: Selection;
  collisions: Diagnostic[];
}

export interface FileEntry extends FileStat {
  /** sha256 of the file's bytes: what really decides whether the file changed. */
  hash: string;
  /**
   * The file changed so close to when it was read that a later change could
   * keep the same size and mtime (the "racy git" problem): never trust its stat.
   */
  racy?: boolean;
  article?: StoredArticle;
  diagnostics: Diagnostic[];
}

export interface OutputEntry {
  /** Hash of everything the file's bytes depend on. */
  fingerprint: string;
  size: number;
  mtimeMs: number;
}

/**
 * What a build can reuse from the last one: per source file, its parsed
 * article and rendered HTML keyed by content hash; per output file, the
 * fingerprint it was written from. Held in memory by the publisher and saved
 * to disk between CLI runs. The key covers the feedpipe version, the cache
 * format and the config: any change there starts from nothing.
 */
export class BuildCache {
  files = new ShardedMap<FileEntry>();
  outputs = new Map<string, OutputEntry>();
  /** True once a full scan of the content folder has filled `files`. */
  complete = false;
  dirty = false;
  /**
   * Articles already built in this process, by source path (never saved): a
   * publisher that keeps its cache re-creates nothing that did not change.
   */
  articles = new Map<string, { hash: string; article?: Article; diagnostics: Diagnostic[] }>();
  /** Each feed's last fingerprint and the article objects it was taken from (never saved). */
  fingerprints = new Map<string, { meta: string; items: readonly Article[]; fingerprint: string }>();
  /** Every content file, sorted, as of the last scan (never saved). */
  paths?: string[];
  /** The last build's loaded articles, in the order of `paths`, with each path's index (never saved). */
  loaded?: { paths: readonly string[]; entries: readonly { hash?: string; article?: Article; diagnostics: Diagnostic[] }[]; index: Map<string, number> };
  /** The last build's selection, for a publisher's next build (never saved). */
  selection?: SelectionMemo;
  /**
   * Rendered HTML by source path. Kept apart from the index and loaded only
   * when some feed has to be serialised again: a no-op build never reads it.
   */
  private renders?: ShardedMap<StoredRender | SavedRender>;
  /**
   * Serialised feed items by source path and format, made from the bytes
   * with `hash`: an item's bytes depend only on its file (and path) and the
   * config and feedpipe version, which the key covers. Saved as raw bytes
   * (fragmentShardFile), not JSON: an edit build reads them in a few ms and
   * decodes only the items of the feeds it serialises again.
   */
  private fragments?: ShardedMap<FragmentEntry>;
  constructor(
    public key: string,
    private file?: string,
  ) {}

  /**
   * From now on keep everything in memory and never write the file: a
   * publisher rebuilding every few seconds should not rewrite megabytes each
   * time. A stale file on disk costs the next cold start some re-parsing,
   * never a wrong result (every entry is checked against the file's bytes).
   */
  inMemoryOnly(): void {
    this.file = undefined;
  }

  /**
   * Reads a saved cache; a missing, torn or foreign file (or shard) gives an empty cache (or shard).
   * With `only`, just the shards of the index that hold those paths: enough to look at and update
   * them, not to build the site.
   */
  static async load(file: string, key: string, only?: readonly string[]): Promise<BuildCache> {
    const cache = new BuildCache(key, file);
    const shards = only && new Set(only.map(shardOf));
    const [saved, files] = await Promise.all([readJson<{ key?: string; outputs?: [string, OutputEntry][] }>(file), loadShards<FileEntry>(file, 'files', key, shards)]);
    if (saved?.key === key && Array.isArray(saved.outputs)) cache.outputs = new Map(saved.outputs);
    cache.files = files;
    return cache;
  }

  /** Rekeys the cache; entries made under another key are dropped. */
  useKey(key: string): void {
    if (key === this.key) return;
    this.key = key;
    this.files.clear();
    this.outputs.clear();
    this.articles.clear();
    this.selection = undefined;
    this.paths = undefined;
    this.loaded = undefined;
    this.fingerprints.clear();
    this.renders = new ShardedMap();
    this.renders.clear();
    this.fragments = new ShardedMap();
    this.fragments.clear();
    this.complete = false;
    this.dirty = true;
  }

  /** The render of `path` if it was made from the bytes with `hash`. */
  async render(path: string, hash: string): Promise<StoredRender | undefined> {
    const r = (await this.loadRenders()).get(path);
    if (!r || r.hash !== hash) return undefined;
    if (typeof r.html === 'string') return r as StoredRender;
    // Decoded on first use, in place (the shard need not be saved again); damaged bytes: rendered again.
    const html = decode(r.html);
    if (html === undefined) return undefined;
    return Object.assign(r, { html }) as StoredRender;
  }

  async setRender(path: string, render: StoredRender): Promise<void> {
    (await this.loadRenders()).set(path, render);
  }

  /** Keeps renders only for `carried` paths, so the cache is the size of the feeds, not of the site. */
  pruneRenders(carried: ReadonlySet<string>): void {
    if (!this.renders) return;
    for (const p of this.renders.keys()) {
      if (!carried.has(p)) this.renders.delete(p);
    }
  }

  /**
   * Reads the saved fragments (once; before `fragment` or `setFragment`, so
   * that saving a shard keeps what was in it).
   */
  async loadFragments(): Promise<void> {
    this.fragments ??= this.file ? await loadBinaryShards(this.file, 'fragments', this.key, fragmentFromShard) : new ShardedMap();
  }

  /** The `format` fragment of `path` if it was made from the bytes with `hash` (after loadFragments). */
  fragment(path: string, hash: string, format: FeedFormat): StoredFragment | undefined {
    const f = this.fragments?.get(path);
    if (!f || f.hash !== hash) return undefined;
    const stored = f.formats[format];
    if (!stored || !('bytes' in stored)) return stored;
    // Decoded on first use: most saved fragments are not needed by an edit build.
    const text = decode(stored);
    if (text === undefined) {
      delete f.formats[format]; // damaged on disk: made again
      return undefined;
    }
    return (f.formats[format] = { text, verifiedIn: stored.verifiedIn });
  }

  setFragment(path: string, hash: string, format: FeedFormat, fragment: StoredFragment): void {
    this.fragments ??= new ShardedMap();
    let f = this.fragments.get(path);
    if (!f || f.hash !== hash) f = { hash, formats: {} };
    f.formats[format] = fragment;
    this.fragments.set(path, f); // marks the shard to be saved
  }

  /** Keeps fragments only for `carried` paths, like pruneRenders. */
  pruneFragments(carried: ReadonlySet<string>): void {
    if (!this.fragments) return;
    for (const p of this.fragments.keys()) if (!carried.has(p)) this.fragments.delete(p);
  }

  private async loadRenders(): Promise<ShardedMap<StoredRender | SavedRender>> {
    this.renders ??= this.file ? await loadBinaryShards(this.file, 'renders', this.key, renderFromShard) : new ShardedMap();
    return this.renders;
  }

  /**
   * Saves the parsed articles and renders, one shard at a time with a yield
   * between them, so it can run while the feeds are written (the outputs, which
   * depend on that write, are saved by `save`).
   */
  async saveContent(): Promise<void> {
    if (!this.file) return;
    // Each file atomic: a concurrent build or a crash leaves the old shard or the new one, never half.
    await saveShards(this.file, 'files', this.key, this.files);
    if (this.renders) await saveBinaryShards(this.file, 'renders', this.key, this.renders, renderToShard);
    if (this.fragments) await saveBinaryShards(this.file, 'fragments', this.key, this.fragments, fragmentToShard);
  }

  async save(): Promise<void> {
    if (!this.file) return;
    await this.saveContent();
    if (this.dirty) await writeAtomically(this.file, Buffer.from(JSON.stringify({ key: this.key, outputs: [...this.outputs] })), HINT);
    this.dirty = false;
  }
}

/** The cache is a hint: it is written atomically but not synced to disk (see writeAtomically). */
const HINT = { durable: false };

function shardFile(file: string, kind: string, n: number, ext = 'json'): string {
  return file.replace(/\.json$/, `.${kind}-${n.toString(16)}.${ext}`);
}

async function loadShards<V>(file: string, kind: string, key: string, only?: ReadonlySet<number>): Promise<ShardedMap<V>> {
  const shards = await Promise.all(Array.from({ length: SHARDS }, (_, n) => (only && !only.has(n) ? undefined : readJson<{ key?: string; entries?: [string, V][] }>(shardFile(file, kind, n)))));
  const map = new ShardedMap<V>();
  shards.forEach((saved) => {
    if (saved?.key === key && Array.isArray(saved.entries)) for (const [k, v] of saved.entries) map.set(k, v);
  });
  map.dirty.clear();
  return map;
}

async function saveShards<V>(file: string, kind: string, key: string, map: ShardedMap<V>): Promise<void> {
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

async function loadBinaryShards<M, V>(file: string, kind: string, key: string, make: (meta: M, texts: Saved[]) => V): Promise<ShardedMap<V>> {
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

async function saveBinaryShards<V, M>(file: string, kind: string, key: string, map: ShardedMap<V>, split: (v: V) => [M, (Saved | string)[]]): Promise<void> {
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
    await writeAtomically(shardFile(file, kind, n, 'bin'), Buffer.concat([Buffer.from(JSON.stringify(header) + '\n'), ...parts]), HINT);
  }
}

type FragmentMeta = [hash: string, formats: [format: FeedFormat, verifiedIn: string][]];

function fragmentToShard(entry: FragmentEntry): [FragmentMeta, (Saved | string)[]] {
  const formats = Object.entries(entry.formats) as [FeedFormat, StoredFragment | SavedFragment][];
  return [[entry.hash, formats.map(([format, f]) => [format, f.verifiedIn])], formats.map(([, f]) => ('bytes' in f ? f : f.text))];
}

function fragmentFromShard([hash, formats]: FragmentMeta, texts: Saved[]): FragmentEntry {
  if (texts.length !== formats.length) throw new Error('not a fragments shard');
  return { hash, formats: Object.fromEntries(formats.map(([format, verifiedIn], i) => [format, { ...texts[i]!, verifiedIn }])) };
}

type RenderMeta = Omit<StoredRender, 'html'>;

function renderToShard(r: StoredRender | SavedRender): [RenderMeta, (Saved | string)[]] {
  return [{ hash: r.hash, summary: r.summary, diagnostics: r.diagnostics }, [r.html]];
}

function renderFromShard(meta: RenderMeta, [html, ...rest]: Saved[]): SavedRender {
  if (!html || rest.length) throw new Error('not a renders shard');
  return { hash: meta.hash, summary: meta.summary, diagnostics: meta.diagnostics, html: html! };
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined; // no cache, or one cut short by a crash: start cold
  }
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function storeArticle(a: Article): StoredArticle {
  const { source, date, updated, ...rest } = a;
  return { ...rest, date: date.getTime(), ...(updated ? { updated: updated.getTime() } : {}), frontmatterLine: source.frontmatterLine, bodyLine: source.bodyLine };
}

/**
 * One string object per distinct tag or section name: articles that arrive from
 * a worker (or the cache file) each carry their own copies, which cost memory
 * and make every Map lookup in grouping compare characters instead of pointers.
 */
const interned = new Map<string, string>();
function intern(name: string): string {
  let s = interned.get(name);
  if (s === undefined) {
    if (interned.size > 100_000) interned.clear();
    interned.set(name, (s = name));
  }
  return s;
}

/**
 * Every article gets the same fields in the same order, absent ones as
 * undefined: one hidden class, so the loops over 10 000 of them in select and
 * model stay monomorphic (a spread of optional fields made up to 32 shapes and
 * made those loops several times slower).
 */
export function restoreArticle(s: StoredArticle, source: Omit<Article['source'], 'frontmatter' | 'body' | 'frontmatterLine' | 'bodyLine'>): Article {
  return {
    source: { absPath: source.absPath, relPath: source.relPath, displayPath: source.displayPath, frontmatter: '', body: undefined, frontmatterLine: s.frontmatterLine, bodyLine: s.bodyLine },
    title: s.title,
    date: new Date(s.date),
    updated: s.updated !== undefined ? new Date(s.updated) : undefined,
    id: s.id,
    slug: s.slug,
    url: s.url,
    summary: s.summary,
    section: s.section === undefined ? undefined : intern(s.section),
    tags: s.tags.map(intern),
    authors: s.authors,
    draft: s.draft,
    image: s.image,
    lang: s.lang,
  };
}
