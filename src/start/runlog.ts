/**
 * What one publisher run did, for a person (one line) and for a machine (one
 * JSON object per line): which items each feed gained, changed and lost.
 *
 * The diff compares the JSON Feed of each feed, item by item: an item is
 * "updated" when anything about it as published changed (title, body,
 * `updated`…), not only its date. The publisher keeps the last snapshot in
 * memory; the first run compares with the feeds already in the output folder
 * (found through the manifest), so a restart reports what really changed
 * rather than everything as new.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BuildReport } from '../build/build.js';
import { FEED_FILES, isArchivePath, MANIFEST } from '../publish/files.js';

/** Per feed, keyed by the path of its JSON Feed file: item id → the item as serialised. */
export type FeedSnapshot = Map<string, Map<string, string>>;

export interface FeedChange {
  /** `main`, `section/world`, `tag/elections`. */
  feed: string;
  added: number;
  updated: number;
  removed: number;
}

export interface RunRecord {
  /** The build's `now`: what was published is what was public at this instant. */
  time: Date;
  triggers: readonly string[];
  ok: boolean;
  changes: FeedChange[];
  written: number;
  unchanged: number;
  removed: number;
  errors: number;
  warnings: number;
  nextDue?: Date | undefined;
  durationMs: number;
  /** An unexpected exception, if the build threw. */
  error?: string;
  /** Files with errors held back (src/build/hold.ts): the rest was published. */
  held?: number;
  /** The files were built ahead of the due time (content unchanged since) and only written now. */
  prepared?: boolean;
}

/** A subscription document's JSON Feed: the run log tells what subscribers see, and an archive page only holds what they saw. */
function isJsonFeed(rel: string): boolean {
  return (rel === FEED_FILES.json || rel.endsWith('/' + FEED_FILES.json)) && !isArchivePath(rel);
}

function itemsOf(text: string): Map<string, string> | undefined {
  try {
    const feed = JSON.parse(text) as { items?: Array<{ id?: unknown }> };
    if (!Array.isArray(feed.items)) return undefined;
    const items = new Map<string, string>();
    for (const item of feed.items) {
      const keyed = keyedItem(item);
      if (keyed) items.set(...keyed);
    }
    return items;
  } catch {
    return undefined;
  }
}

/** The JSON Feeds a build serialised: from their items' bytes where it kept no text (`keepFiles: false`). */
export function snapshotOfReport(report: Pick<BuildReport, 'files' | 'jsonItems'>): FeedSnapshot {
  if (!report.jsonItems) return snapshotOfFiles(report.files);
  const snapshot: FeedSnapshot = new Map();
  for (const [rel, fragments] of report.jsonItems) {
    if (!isJsonFeed(rel)) continue;
    const items = new Map<string, string>();
    for (const bytes of fragments) {
      const item = itemOf(bytes);
      if (item) items.set(item[0], item[1]);
    }
    snapshot.set(rel, items);
  }
  return snapshot;
}

/** An item's bytes are the same object while its article is unchanged: each is parsed once. */
const parsedItems = new WeakMap<Buffer, [id: string, item: string] | undefined>();

/** One JSON Feed item's id and its canonical text, from its bytes. */
function itemOf(bytes: Buffer): [string, string] | undefined {
  if (parsedItems.has(bytes)) return parsedItems.get(bytes);
  let item: [string, string] | undefined;
  try {
    item = keyedItem(JSON.parse(bytes.toString('utf8')) as { id?: unknown });
  } catch {
    item = undefined;
  }
  parsedItems.set(bytes, item);
  return item;
}

/** An item as the snapshot keeps it: its id and its canonical text (anything about it changed, that changes). */
function keyedItem(item: { id?: unknown }): [string, string] | undefined {
  return typeof item.id === 'string' ? [item.id, JSON.stringify(item)] : undefined;
}

export function snapshotOfFiles(files: ReadonlyMap<string, string>): FeedSnapshot {
  const snapshot: FeedSnapshot = new Map();
  for (const [rel, text] of files) {
    if (!isJsonFeed(rel)) continue;
    const items = itemsOf(text);
    if (items) snapshot.set(rel, items);
  }
  return snapshot;
}

/** The feeds an earlier run left in `outDir`; empty when there are none or they cannot be read. */
export async function readPublishedSnapshot(outDir: string): Promise<FeedSnapshot> {
  const snapshot: FeedSnapshot = new Map();
  let files: unknown;
  try {
    files = (JSON.parse(await readFile(path.join(outDir, MANIFEST), 'utf8')) as { files?: unknown }).files;
  } catch {
    return snapshot;
  }
  if (!Array.isArray(files)) return snapshot;
  for (const rel of files) {
    if (typeof rel !== 'string' || !isJsonFeed(rel) || rel.split(/[\\/]/).includes('..')) continue;
    const text = await readFile(path.join(outDir, rel), 'utf8').catch(() => undefined);
    const items = text === undefined ? undefined : itemsOf(text);
    if (items) snapshot.set(rel, items);
  }
  return snapshot;
}

/** `sections/world/feed.json` → `section/world`, as in FeedModel keys, for feeds a build no longer has. */
function keyOfPath(rel: string): string {
  const dir = rel.slice(0, -FEED_FILES.json.length).replace(/\/$/, '');
  if (dir === '') return 'main';
  const m = /^(sections|tags|authors)\/(.+)$/.exec(dir);
  return m ? `${m[1]!.slice(0, -1)}/${m[2]}` : dir;
}

/** Feeds whose items changed, the site's feed first. `feeds` names the feeds of the new build. */
export function diffSnapshots(before: FeedSnapshot, after: FeedSnapshot, feeds: BuildReport['feeds'] = []): FeedChange[] {
  const names = new Map<string, string>();
  for (const f of feeds) for (const file of f.files) if (isJsonFeed(file)) names.set(file, f.key);
  const changes: FeedChange[] = [];
  for (const rel of new Set([...before.keys(), ...after.keys()])) {
    const old = before.get(rel) ?? new Map<string, string>();
    const now = after.get(rel) ?? new Map<string, string>();
    let added = 0;
    let updated = 0;
    let removed = 0;
    for (const [id, item] of now) {
      const was = old.get(id);
      if (was === undefined) added++;
      else if (was !== item) updated++;
    }
    for (const id of old.keys()) if (!now.has(id)) removed++;
    if (added || updated || removed) changes.push({ feed: names.get(rel) ?? keyOfPath(rel), added, updated, removed });
  }
  return changes.sort((a, b) => rank(a.feed) - rank(b.feed) || (a.feed < b.feed ? -1 : a.feed > b.feed ? 1 : 0));
}

/** Feeds in the index page's order: the site's, then sections, tags and authors. */
const KIND_ORDER = ['main', 'section', 'tag', 'author'];
function rank(feed: string): number {
  const kind = KIND_ORDER.indexOf(feed.split('/')[0]!);
  return kind < 0 ? KIND_ORDER.length : kind;
}

function instant(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * `2026-11-25T12:00:01Z due    main +1 ~0 -0 · 3 written, 15 unchanged · next due 2031-06-01T09:00:00Z · 42 ms`
 */
export function formatRunHuman(r: RunRecord): string {
  const parts: string[] = [];
  if (r.error) parts.push(`FAILED: unexpected error: ${r.error}; the published feeds are unchanged`);
  else if (!r.ok) parts.push(`FAILED: ${count(r.errors, 'error')}, ${count(r.warnings, 'warning')}; the published feeds are unchanged`);
  else {
    parts.push(r.changes.length ? changesLine(r.changes) : 'no changes');
    parts.push(`${r.written} written, ${r.unchanged} unchanged${r.removed ? `, ${r.removed} removed` : ''}${r.warnings ? `, ${count(r.warnings, 'warning')}` : ''}`);
    if (r.held) parts.push(`${count(r.held, 'file')} held back by ${count(r.errors, 'error')} (each keeps its last published version, if any)`);
  }
  parts.push(r.nextDue ? `next due ${instant(r.nextDue)}` : 'nothing scheduled');
  parts.push(`${Math.round(r.durationMs)} ms${r.prepared ? ' (built ahead)' : ''}`);
  return `${instant(r.time)} ${r.triggers.join('+').padEnd(6)} ${parts.join(' · ')}\n`;
}

/** Feeds named on a human log line; the rest are summed (the JSON record lists every one). */
const NAMED_CHANGES = 5;

function changesLine(changes: readonly FeedChange[]): string {
  const named = changes.slice(0, NAMED_CHANGES).map((c) => `${c.feed} +${c.added} ~${c.updated} -${c.removed}`);
  const rest = changes.slice(NAMED_CHANGES);
  if (rest.length) {
    const sum = (k: 'added' | 'updated' | 'removed') => rest.reduce((n, c) => n + c[k], 0);
    named.push(`${count(rest.length, 'more feed')} +${sum('added')} ~${sum('updated')} -${sum('removed')}`);
  }
  return named.join(', ');
}

export function formatRunJson(r: RunRecord): string {
  return (
    JSON.stringify({
      time: r.time.toISOString(),
      event: 'run',
      trigger: r.triggers[0],
      triggers: r.triggers,
      ok: r.ok,
      feeds: r.changes,
      files: { written: r.written, unchanged: r.unchanged, removed: r.removed },
      errors: r.errors,
      warnings: r.warnings,
      nextDue: r.nextDue ? r.nextDue.toISOString() : null,
      durationMs: Math.round(r.durationMs),
      ...(r.error ? { error: r.error } : {}),
      ...(r.held ? { held: r.held } : {}),
      ...(r.prepared ? { prepared: true } : {}),
    }) + '\n'
  );
}
