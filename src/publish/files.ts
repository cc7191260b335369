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
