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

/** Where each kind of feed lives: `tags/<slug>/` is a tag's, its key `tag/<slug>`. */
const FOLDERS: Record<Exclude<FeedKind, 'main'>, string> = { section: 'sections', tag: 'tags', author: 'authors' };

/** A slug as publish/model.ts makes them (taxonomySlug): letters, digits and hyphens, never `.` or `..`. */
const SLUG = /^[\p{L}\p{N}][\p{L}\p{N}-]*$/u;

/** Records read back from a manifest: only well-formed ones, of a feed kind in its own folder. */
export function parseFeedRecords(value: unknown): FeedRecords {
  const records: FeedRecords = {};
  if (!value || typeof value !== 'object') return records;
  for (const [dir, r] of Object.entries(value as Record<string, unknown>)) {
    const rec = r as Partial<FeedRecord> | null;
    if (!rec || typeof rec.key !== 'string' || typeof rec.title !== 'string' || typeof rec.description !== 'string') continue;
    const kind = rec.kind;
    if (kind === undefined || !(kind === 'main' ? dir === '' && rec.key === 'main' : isFolderOf(kind, dir, rec.key))) continue;
    if (rec.empty !== undefined && (typeof rec.empty !== 'string' || Number.isNaN(Date.parse(rec.empty)))) continue;
    records[dir] = { key: rec.key, kind, title: rec.title, description: rec.description, ...(rec.empty ? { empty: rec.empty } : {}) };
  }
  return records;
}

/** Whether `dir` is a feed folder of `kind` (`tags/<slug>/`) and `key` its key (`tag/<slug>`): a record can name no other file. */
function isFolderOf(kind: Exclude<FeedKind, 'main'> | string, dir: string, key: string): boolean {
  if (!Object.hasOwn(FOLDERS, kind)) return false;
  const m = /^([a-z]+)\/([^/]+)\/$/.exec(dir);
  return !!m && m[1] === FOLDERS[kind as Exclude<FeedKind, 'main'>] && SLUG.test(m[2]!) && key === `${kind}/${m[2]}`;
}
