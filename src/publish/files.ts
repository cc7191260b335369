/** The names of what feedpipe publishes: plain constants, so the server can use them without loading the build. */

export type FeedFormat = 'rss' | 'atom' | 'json';

/** File names of each format inside a feed's folder. */
export const FEED_FILES: Record<FeedFormat, string> = { rss: 'feed.xml', atom: 'atom.xml', json: 'feed.json' };

/** The XSL stylesheet RSS and Atom reference, so a feed opened in a browser reads as a page. */
export const STYLESHEET_FILE = 'feed.xsl';
/** The page for people: the site's feeds, with autodiscovery links, and the latest items. */
export const INDEX_FILE = 'index.html';

export const MIME: Record<FeedFormat, string> = {
  rss: 'application/rss+xml',
  atom: 'application/atom+xml',
  json: 'application/feed+json',
};

/** What feedpipe published, with each file's SHA-256 and Last-Modified (publish/manifest.ts). */
export const MANIFEST = '.feedpipe-manifest.json';
/** Beside the manifest, not in it (never served): the items the feeds carry, for the next build's renamed-file warning (build/renamed.ts). */
export const ITEMS_FILE = '.feedpipe-items.json';
/**
 * A publication under way: its staged files and the manifest it installs (publish/journal.ts).
 * Present only between a publication's staging and its end, or after a crash there.
 */
export const JOURNAL = '.feedpipe-journal.json';

/** A feed's absolute URLs in each format, its folder `dir` ('' or ending in '/') inside the output folder. */
export function feedLinks(dir: string, siteUrl: string): Record<FeedFormat, string> {
  return {
    rss: new URL(dir + FEED_FILES.rss, siteUrl).toString(),
    atom: new URL(dir + FEED_FILES.atom, siteUrl).toString(),
    json: new URL(dir + FEED_FILES.json, siteUrl).toString(),
  };
}

/** The stylesheet's path relative to a feed in `dir`: relative, so it stays same-origin wherever dist/ is served. */
export function stylesheetFor(dir: string): string {
  return '../'.repeat(dir.split('/').filter(Boolean).length) + STYLESHEET_FILE;
}

/** The folder of a feed's archive pages, inside the feed's own (publish/archive.ts). */
export const ARCHIVE_DIR = 'archive';

/** Whether `rel` (a path in the output folder) is a file of an archive page: `archive/3/atom.xml`, `tags/x/archive/1/feed.json`. */
export function isArchivePath(rel: string): boolean {
  return /(?:^|\/)archive\/\d+\/[^/]+$/.test(rel);
}
