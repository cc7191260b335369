import type { Article } from '../content/schema.js';
import type { Diagnostic } from '../diagnostics/diagnostics.js';
import type { FeedFormat } from '../publish/files.js';
import type { StoredFragment } from '../publish/fragment.js';
import type { Roots } from '../publish/items.js';
import { writeAtomically } from '../util/atomic.js';
import type { SelectionMemo } from './selection.js';
import { checked, decode, HINT, loadBinaryShards, loadShards, readJson, saveBinaryShards, saveShards, shardOf, ShardedMap, type Saved } from './shards.js';
import type { FileStat } from './stat.js';
import type { StoredArticle } from './stored.js';

/**
 * Bump when parsing, validation, rendering or serialisation changes output, so
 * a cache written by an older feedpipe is never trusted.
 */
export const CACHE_FORMAT = 7;


export interface StoredRender {
  /** Hash of the source file it was rendered from. */
  hash: string;
  html: string;
  summary: string;
  diagnostics: Diagnostic[];
}

type SavedFragment = Saved & { verifiedIn: string };
type SavedRender = Omit<StoredRender, 'html'> & { html: Saved };

interface FragmentEntry {
  hash: string;
  formats: Partial<Record<FeedFormat, StoredFragment | SavedFragment>>;
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
  /** The articles the last publication carried, by source path: what a file with errors stands as (src/build/hold.ts; never saved). */
  published?: ReadonlyMap<string, { hash: string; article: Article }>;
  /** The last build's selection, for a publisher's next build (never saved). */
  selection?: SelectionMemo;
  /** The root tags the last render stage verified feed items under: renders ahead use them (never saved). */
  roots?: Roots;
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
  private savingFiles?: Promise<void>;
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
    // Read and checked on first use (most saved fragments are not needed by an edit build); kept as
    // bytes, which is what a feed file is assembled from: text only where one is asked for (fragmentText).
    const utf8 = checked(stored);
    if (utf8 === undefined) {
      delete f.formats[format]; // damaged on disk: made again
      return undefined;
    }
    return (f.formats[format] = { utf8, verifiedIn: stored.verifiedIn });
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
   * Starts saving the parsed articles' shards now (a build does while its workers render and this
   * thread waits for them): they do not change after loading, and one that does is marked again
   * and saved by `saveContent`, which first waits for this.
   */
  saveFilesAhead(): void {
    if (this.file && !this.savingFiles) this.savingFiles = saveShards(this.file, 'files', this.key, this.files).catch(() => undefined);
  }

  /** Resolves once no save started by `saveFilesAhead` is running. */
  async settled(): Promise<void> {
    await this.savingFiles;
    this.savingFiles = undefined;
  }

  /**
   * Saves the parsed articles and renders, one shard at a time with a yield
   * between them, so it can run while the feeds are written (the outputs, which
   * depend on that write, are saved by `save`).
   */
  async saveContent(): Promise<void> {
    if (!this.file) return;
    await this.settled();
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

type FragmentMeta = [hash: string, formats: [format: FeedFormat, verifiedIn: string][]];

function fragmentToShard(entry: FragmentEntry): [FragmentMeta, (Saved | string)[]] {
  const formats = Object.entries(entry.formats) as [FeedFormat, StoredFragment | SavedFragment][];
  return [[entry.hash, formats.map(([format, f]) => [format, f.verifiedIn])], formats.map(([, f]) => ('bytes' in f ? f : f.utf8 ? { bytes: f.utf8, digest: '' } : f.text!))];
}

function fragmentFromShard([hash, formats]: FragmentMeta, texts: Saved[]): FragmentEntry {
  if (texts.length !== formats.length) throw new Error('not a fragments shard');
  // The Saved itself, its bytes still unread (a spread would read them: `bytes` is a getter).
  return { hash, formats: Object.fromEntries(formats.map(([format, verifiedIn], i) => [format, Object.assign(texts[i]!, { verifiedIn })])) };
}

type RenderMeta = Omit<StoredRender, 'html'>;

function renderToShard(r: StoredRender | SavedRender): [RenderMeta, (Saved | string)[]] {
  return [{ hash: r.hash, summary: r.summary, diagnostics: r.diagnostics }, [r.html]];
}

function renderFromShard(meta: RenderMeta, [html, ...rest]: Saved[]): SavedRender {
  if (!html || rest.length) throw new Error('not a renders shard');
  return { hash: meta.hash, summary: meta.summary, diagnostics: meta.diagnostics, html: html! };
}
