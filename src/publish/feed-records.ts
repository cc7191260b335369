/**
 * What a manifest records of each subscription feed a publication carried (publish/emptied.ts):
 * plain data, read by the build only. No import of the model, so the server's manifest reader
 * stays free of the build.
 */

/** The kinds of feed, as FeedModel names them. */
export type FeedKind = 'main' | 'section' | 'tag' | 'author';

/** What a publication recorded of one subscription feed, by its folder. */
export interface FeedRecord {
  key: string;
  kind: FeedKind;
  title: string;
  description: string;
  /** ISO 8601: since when it has been published with no item. */
  empty?: string;
}

export type FeedRecords = Record<string, FeedRecord>;

/** Where each kind of feed lives: `tags/<slug>/` is a tag's. */
const FOLDERS: Record<Exclude<FeedKind, 'main'>, RegExp> = { section: /^sections\/[^/]+\/$/, tag: /^tags\/[^/]+\/$/, author: /^authors\/[^/]+\/$/ };

/** Records read back from a manifest: only well-formed ones, of a feed kind in its own folder. */
export function parseFeedRecords(value: unknown): FeedRecords {
  const records: FeedRecords = {};
  if (!value || typeof value !== 'object') return records;
  for (const [dir, r] of Object.entries(value as Record<string, unknown>)) {
    const rec = r as Partial<FeedRecord> | null;
    if (!rec || typeof rec.key !== 'string' || typeof rec.title !== 'string' || typeof rec.description !== 'string') continue;
    const kind = rec.kind;
    if (kind === undefined || (kind === 'main' ? dir !== '' : !(Object.hasOwn(FOLDERS, kind) && FOLDERS[kind].test(dir)))) continue;
    if (rec.empty !== undefined && (typeof rec.empty !== 'string' || Number.isNaN(Date.parse(rec.empty)))) continue;
    records[dir] = { key: rec.key, kind, title: rec.title, description: rec.description, ...(rec.empty ? { empty: rec.empty } : {}) };
  }
  return records;
}

