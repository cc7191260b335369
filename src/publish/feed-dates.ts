/**
 * Which of an article's dates each format states, and how each is written.
 * The `feed` package would decide both if we let it: an RSS item's pubDate is
 * its `published` when given and its `date` otherwise, a channel or feed
 * without `updated` is stamped with the build time, and every date is
 * formatted by the package. So the rules are written here, rss.ts and atom.ts
 * hand the package only the finished text (XmlStrings.date), and json.ts
 * writes the same values itself.
 */
import type { Article } from '../content/schema.js';

/**
 * When the article became public: its frontmatter `date`.
 * - RSS 2.0 `<pubDate>`: "Indicates when the item was published."
 * - RFC 4287 4.2.9 `atom:published`: "an instant in time associated with an
 *   event early in the life cycle of the entry".
 * - JSON Feed 1.1 `date_published`: "specifies the date in RFC 3339 format".
 */
export function publishedAt(a: Article): Date {
  return a.date;
}

/**
 * RFC 4287 4.2.15 `atom:updated`, which every entry must have: "the most
 * recent instant in time when an entry or feed was modified in a way the
 * publisher considers significant". The author's `updated`, else the
 * publication: an entry never edited was last changed when it was published.
 */
export function updatedAt(a: Article): Date {
  return a.updated ?? a.date;
}

/**
 * JSON Feed 1.1 `date_modified` (optional): "specifies the modification date
 * in RFC 3339 format". Stated only when the author gave an `updated` date;
 * RSS 2.0 has no element for it.
 */
export function modifiedAt(a: Article): Date | undefined {
  return a.updated;
}

/**
 * When a feed last changed: the newest updatedAt among its items, or the epoch
 * for a feed with none (or with only items dated before 1970). Never the build time, so rebuilding the same content
 * gives the same bytes and a reader polling the feed sees no change.
 * - RSS 2.0 `<lastBuildDate>`: "The last time the content of the channel changed."
 * - RFC 4287 4.2.15 `atom:updated` of the feed (above).
 */
export function feedUpdatedAt(items: readonly Article[]): Date {
  let newest = 0;
  for (const a of items) newest = Math.max(newest, updatedAt(a).getTime());
  return new Date(newest);
}

/**
 * RSS 2.0: "All date-times in RSS conform to the Date and Time Specification
 * of RFC 822, with the exception that the year may be expressed with two
 * characters or four characters (four preferred)." ECMA-262 fixes
 * toUTCString's form, "Thu, 02 Apr 2026 08:00:00 GMT": RFC 822's, with the
 * four-digit year. feed.xsl reads the day out of it by position.
 */
export function rssDate(at: Date): string {
  return at.toUTCString();
}

/**
 * RFC 4287 3.3: a Date construct's content "MUST conform to the "date-time"
 * production in [RFC3339]. In addition, an uppercase "T" character MUST be
 * used to separate date and time, and an uppercase "Z" character MUST be
 * present in the absence of a numeric time zone offset." JSON Feed 1.1 also
 * takes RFC 3339. ECMA-262 fixes toISOString's form for years 0 to 9999,
 * "2026-04-02T08:00:00.000Z", which meets both.
 */
export function rfc3339Date(at: Date): string {
  return at.toISOString();
}
