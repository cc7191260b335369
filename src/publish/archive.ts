/**
 * RFC 5005 archived feeds (section 4): a feed's older items in archive pages, so that following
 * the links from the subscription document reaches the feed's whole history.
 *
 * Pages are filled from the oldest article forward, `feeds.archivePageSize` items each, and a
 * page exists only once it is full: a new article never changes what an existing page holds, and
 * an aggregator that fetched page 7 last year gets the same bytes today. The subscription document
 * keeps the newest `feeds.limit` items; since a page holds at most that many (config schema), the
 * articles not yet in a full page are all in it (and it may repeat some of the newest page's, which
 * RFC 5005 consumers merge by id). An edit changes the one page that holds the article; a deleted,
 * re-dated or newly hidden article moves every later article by one place, and so reshapes the
 * pages from its own onwards.
 *
 * Each page is a FeedModel like any other (`main/archive/3` in `archive/3/`): planned, fingerprinted,
 * kept when unchanged and assembled from the same cached item fragments.
 */
import type { Article } from '../content/schema.js';
import { feedUpdatedAt } from './feed-dates.js';
import { ARCHIVE_DIR, feedLinks, stylesheetFor } from './files.js';
import type { FeedModel } from './model.js';

/**
 * The archive pages of `feed` (its subscription document, whose `history` this sets when there is
 * a page), oldest first; `items` is every article of the feed, newest first, as select ordered them.
 */
export function archivePages(feed: FeedModel, items: readonly Article[], size: number): FeedModel[] {
  const count = Math.floor(items.length / size);
  if (!count) return [];
  const dirOf = (n: number) => `${feed.dir}${ARCHIVE_DIR}/${n}/`;
  const linksOf = (n: number) => feedLinks(dirOf(n), feed.homeUrl);
  const pages: FeedModel[] = [];
  for (let n = 1; n <= count; n++) {
    // Page n, newest first: the n-th `size` items counted from the oldest.
    const own = items.slice(items.length - n * size, items.length - (n - 1) * size);
    const dir = dirOf(n);
    pages.push({
      ...feed,
      key: `${feed.key}/${ARCHIVE_DIR}/${n}`,
      dir,
      links: linksOf(n),
      updated: feedUpdatedAt(own),
      // A page never changes hands: there is nothing for a hub to tell.
      hubs: [],
      stylesheet: stylesheetFor(dir),
      items: own,
      history: { archive: true, page: n, current: feed.links, ...(n > 1 ? { prev: linksOf(n - 1) } : {}), ...(n < count ? { next: linksOf(n + 1) } : {}) },
    });
  }
  feed.history = { archive: false, prev: linksOf(count), pages: count };
  return pages;
}
