import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Article } from './content/schema.js';
import type { Diagnostic } from './diagnostics.js';
import type { FeedFormat } from './publish/model.js';
import { writeAtomically } from './publish/write.js';

/**
 * Bump when parsing, validation, rendering or serialisation changes output, so
 * a cache written by an older feedpipe is never trusted.
 */
export const CACHE_FORMAT = 1;

/** An article as stored: dates as epoch ms, no body (it is re-read when a render is needed). */
export type StoredArticle = Omit<Article, 'source' | 'date' | 'updated'> & { date: number; updated?: number; frontmatterLine: number; bodyLine: number };

export interface StoredRender {
  /** Hash of the source file it was rendered from. */
  hash: string;
  html: string;
  summary: string;
  diagnostics: Diagnostic[];
}

/** A feed item's serialised fragment (src/publish/fragment.ts), verified. */
export interface StoredFragment {
  text: string;
  /** The XML root start tag it was verified under ('' for JSON): its in-scope namespaces. */
  verifiedIn: string;
}

export interface FileEntry {
  size: number;
  mtimeMs: number;
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
  files = new Map<string, FileEntry>();
  outputs = new Map<string, OutputEntry>();
  /** True once a full scan of the content folder has filled `files`. */
  complete = false;
  dirty = false;
  /**
   * Articles already built in this process, by source path (never saved): a
   * publisher that keeps its cache re-creates nothing that did not change.
   */
  articles = new Map<string, { hash: string; article?: Article; diagnostics: Diagnostic[] }>();
  /**
   * Rendered HTML by source path. Kept apart from the index and loaded only
   * when some feed has to be serialised again: a no-op build never reads it.
   */
  private renders?: Map<string, StoredRender>;
  private rendersDirty = false;
  /**
   * Serialised feed items by source path and format, made from the bytes
   * with `hash`: an item's bytes depend only on its file (and path) and the
   * config and feedpipe version, which the key covers. In memory only, never
   * saved: four times the renders would slow every edit build that loads them.
   */
  private fragments = new Map<string, { hash: string; formats: Partial<Record<FeedFormat, StoredFragment>> }>();

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

  /** Reads a saved cache; a missing, torn or foreign file gives an empty cache. */
  static async load(file: string, key: string): Promise<BuildCache> {
    const cache = new BuildCache(key, file);
    const saved = await readJson<{ key?: string; files?: [string, FileEntry][]; outputs?: [string, OutputEntry][] }>(file);
    if (saved?.key === key && Array.isArray(saved.files) && Array.isArray(saved.outputs)) {
      cache.files = new Map(saved.files);
      cache.outputs = new Map(saved.outputs);
    }
    return cache;
  }

  /** Rekeys the cache; entries made under another key are dropped. */
  useKey(key: string): void {
    if (key === this.key) return;
    this.key = key;
    this.files.clear();
    this.outputs.clear();
    this.articles.clear();
    this.renders = new Map();
    this.fragments.clear();
    this.complete = false;
    this.dirty = this.rendersDirty = true;
  }

  /** The render of `path` if it was made from the bytes with `hash`. */
  async render(path: string, hash: string): Promise<StoredRender | undefined> {
    const r = (await this.loadRenders()).get(path);
    return r && r.hash === hash ? r : undefined;
  }

  async setRender(path: string, render: StoredRender): Promise<void> {
    (await this.loadRenders()).set(path, render);
    this.rendersDirty = true;
  }

  /** Keeps renders only for `carried` paths, so the cache is the size of the feeds, not of the site. */
  pruneRenders(carried: ReadonlySet<string>): void {
    if (!this.renders) return;
    for (const p of this.renders.keys()) {
      if (!carried.has(p)) {
        this.renders.delete(p);
        this.rendersDirty = true;
      }
    }
  }

  /** The `format` fragment of `path` if it was made from the bytes with `hash`. */
  fragment(path: string, hash: string, format: FeedFormat): StoredFragment | undefined {
    const f = this.fragments.get(path);
    return f && f.hash === hash ? f.formats[format] : undefined;
  }

  setFragment(path: string, hash: string, format: FeedFormat, fragment: StoredFragment): void {
    let f = this.fragments.get(path);
    if (!f || f.hash !== hash) this.fragments.set(path, (f = { hash, formats: {} }));
    f.formats[format] = fragment;
  }

  /** Keeps fragments only for `carried` paths, like pruneRenders. */
  pruneFragments(carried: ReadonlySet<string>): void {
    for (const p of this.fragments.keys()) if (!carried.has(p)) this.fragments.delete(p);
  }

  private async loadRenders(): Promise<Map<string, StoredRender>> {
    if (!this.renders) {
      const saved = this.file ? await readJson<{ key?: string; renders?: [string, StoredRender][] }>(rendersFile(this.file)) : undefined;
      this.renders = new Map(saved?.key === this.key && Array.isArray(saved.renders) ? saved.renders : []);
    }
    return this.renders;
  }

  async save(): Promise<void> {
    if (!this.file) return;
    // Atomic: a concurrent build or a crash leaves the old cache or the new one, never half.
    if (this.rendersDirty && this.renders) {
      await writeAtomically(rendersFile(this.file), Buffer.from(JSON.stringify({ key: this.key, renders: [...this.renders] })));
      this.rendersDirty = false;
    }
    if (this.dirty) {
      await writeAtomically(this.file, Buffer.from(JSON.stringify({ key: this.key, files: [...this.files], outputs: [...this.outputs] })));
      this.dirty = false;
    }
  }
}

function rendersFile(file: string): string {
  return file.replace(/\.json$/, '.renders.json');
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

export function restoreArticle(s: StoredArticle, source: Omit<Article['source'], 'frontmatter' | 'body' | 'frontmatterLine' | 'bodyLine'>): Article {
  const { date, updated, frontmatterLine, bodyLine, ...rest } = s;
  return { ...rest, date: new Date(date), ...(updated !== undefined ? { updated: new Date(updated) } : {}), source: { ...source, frontmatter: '', body: undefined, frontmatterLine, bodyLine } };
}
