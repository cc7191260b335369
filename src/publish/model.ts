import type { Config } from '../config/config.js';
import type { Article, Person } from '../content/schema.js';
import { slugify } from '../content/schema.js';
import { sha256 } from '../util/hash.js';
import { feedLinks, stylesheetFor, type FeedFormat } from './files.js';
import { archivePages } from './archive.js';
import { feedUpdatedAt } from './feed-dates.js';

/** One feed, independent of format; rss.ts, atom.ts and json.ts each serialise it. */
export interface FeedModel {
  /** `main`, `section/world`, `tag/elections`, `author/jane-doe`. */
  key: string;
  kind: 'main' | 'section' | 'tag' | 'author';
  /** Folder inside the output folder, '' or ending in '/'. */
  dir: string;
  title: string;
  description: string;
  homeUrl: string;
  links: FeedLinks;
  language: string;
  /** When the feed last changed (feedUpdatedAt): its newest item's time, never the build time. */
  updated: Date;
  author?: Person;
  copyright?: string;
  icon?: string;
  logo?: string;
  /** WebSub hubs the feed advertises (https://www.w3.org/TR/websub/#discovery). */
  hubs: string[];
  /** The XSL stylesheet, relative to the feed (`../../feed.xsl`): relative, so it stays same-origin wherever dist/ is served. */
  stylesheet: string;
  items: Article[];
  /** RFC 5005 archived feeds (publish/archive.ts): absent where the feed has no archive page. */
  history?: History;
}

/** A feed's file in each format. */
export type FeedLinks = Record<FeedFormat, string>;

/**
 * Where a document sits in its feed's RFC 5005 archive: the subscription document links to the
 * newest archive page; an archive page to its subscription document and its neighbours. What a
 * page says never depends on how many pages follow it (a later page's number, the count), so a
 * new page leaves the older ones as they were, but for the one newer link of the page before it.
 */
export type History =
  | { archive: false; /** The newest archive page (prev-archive; JSON Feed next_url). */ prev: FeedLinks; /** How many archive pages there are. */ pages: number }
  | { archive: true; /** 1 for the oldest. */ page: number; current: FeedLinks; prev?: FeedLinks; next?: FeedLinks };

export interface TaxonomyEntry {
  name: string;
  slug: string;
  articles: Article[];
}

/** What grouping reads of an article. */
type Grouped = { section?: string | undefined; tags: readonly string[]; authors: readonly { name: string }[] };

/** Whether grouping puts two versions of an article in the same feeds: the same section, tags and author names, in their exact spelling and order. */
export function sameFeeds(a: Grouped, b: Grouped): boolean {
  return (
    a.section === b.section &&
    a.tags.length === b.tags.length &&
    a.tags.every((t, i) => t === b.tags[i]) &&
    a.authors.length === b.authors.length &&
    a.authors.every((p, i) => p.name === b.authors[i]!.name)
  );
}

/** The names an article's author feeds are grouped by (groupBy counts an article once per feed). */
function authorNames(a: Article): readonly string[] {
  return a.authors.map((p) => p.name);
}

/** What names a feed: its key, kind, folder, title and description. */
export interface FeedSpec {
  key: string;
  kind: FeedModel['kind'];
  dir: string;
  title: string;
  description: string;
}

/** The model of the feed `spec` with `items` (newest first, at most feeds.limit), last changed at `updated`. */
export function feedModel(config: Config, spec: FeedSpec, items: Article[], updated = feedUpdatedAt(items)): FeedModel {
  const { site } = config;
  return {
    ...spec,
    homeUrl: site.url,
    links: feedLinks(spec.dir, site.url),
    language: site.language,
    updated,
    ...(site.author ? { author: site.author } : {}),
    ...(site.copyright ? { copyright: site.copyright } : {}),
    ...(site.icon ? { icon: site.icon } : {}),
    ...(site.logo ? { logo: site.logo } : {}),
    hubs: [...config.websub.hubs],
    stylesheet: stylesheetFor(spec.dir),
    items,
  };
}

export function buildFeedModels(visible: readonly Article[], config: Config): FeedModel[] {
  const { site, feeds } = config;
  // With archives, a feed's every article: its archive pages hold those past the newest `limit`.
  const keep = feeds.archives ? Infinity : feeds.limit;
  const pages: FeedModel[] = [];
  const make = (key: string, kind: FeedModel['kind'], dir: string, title: string, description: string, items: Article[]): FeedModel => {
    const model = feedModel(config, { key, kind, dir, title, description }, items.slice(0, feeds.limit));
    if (feeds.archives) pages.push(...archivePages(model, items, feeds.archivePageSize));
    return model;
  };
  const models = [make('main', 'main', '', site.title, site.description, [...visible])];
  if (feeds.sections) {
    for (const s of groupBy(visible, (a) => (a.section ? [a.section] : NONE), keep)) {
      models.push(make(`section/${s.slug}`, 'section', `sections/${s.slug}/`, `${site.title}: ${s.name}`, `${s.name} from ${site.title}`, s.articles));
    }
  }
  if (feeds.tags) {
    for (const t of groupBy(visible, (a) => a.tags, keep)) {
      models.push(make(`tag/${t.slug}`, 'tag', `tags/${t.slug}/`, `${site.title}: ${t.name}`, `Articles tagged “${t.name}” from ${site.title}`, t.articles));
    }
  }
  if (feeds.authors) {
    // By name, as tags are: one person's articles, whatever e-mail or URL each gives.
    for (const p of groupBy(visible, authorNames, keep)) {
      models.push(make(`author/${p.slug}`, 'author', `authors/${p.slug}/`, `${site.title}: ${p.name}`, `Articles by ${p.name} from ${site.title}`, p.articles));
    }
  }
  // The subscription documents first (models[0] is the site's), then every archive page.
  return [...models, ...pages];
}

/** Every article some feed carries, once each, in the order the feeds list them (the site's first, newest first). */
export function carriedArticles(models: readonly FeedModel[]): Article[] {
  const seen = new Set<Article>();
  for (const m of models) for (const a of m.items) seen.add(a);
  return [...seen];
}

/** Whether the page for people lists a feed: a subscription document with items (or the site's), not one kept empty a while (publish/emptied.ts). */
export function isListed(m: FeedModel): boolean {
  return isSubscription(m) && (m.kind === 'main' || m.items.length > 0);
}

/** Whether a model is a subscription document (a feed people subscribe to), not one of its archive pages. */
function isSubscription(m: FeedModel): boolean {
  return !m.history?.archive;
}

/**
 * Groups articles by section or tag, case-insensitively. The folder name is a
 * slug; a name that a slug cannot carry faithfully (`C++`, `Ünïcode`, `日本`)
 * gets a short hash of the name, so two names never share a feed and a new
 * tag never renames an existing feed.
 */
const NONE: readonly string[] = [];

// toLowerCase costs far more than a Map lookup on the same string again; tag names are few and repeat.
const folds = new Map<string, string>();
function fold(name: string): string {
  let f = folds.get(name);
  if (f === undefined) {
    if (folds.size > 100_000) folds.clear();
    folds.set(name, (f = name.toLowerCase()));
  }
  return f;
}

export function groupBy(articles: readonly Article[], keys: (a: Article) => readonly string[], limit = Infinity): TaxonomyEntry[] {
  const groups = new Map<string, TaxonomyEntry>();
  // Names repeat exactly far more often than they differ in case: one lookup for most of them.
  const byName = new Map<string, TaxonomyEntry>();
  for (const a of articles) {
    for (const name of keys(a)) {
      let g = byName.get(name);
      if (!g) {
        const folded = fold(name);
        g = groups.get(folded);
        if (!g) groups.set(folded, (g = { name, slug: taxonomySlug(folded), articles: [] }));
        else if (name < g.name) g.name = name;
        byName.set(name, g);
      }
      // Articles come newest first: a feed never needs more than its limit. "Asia" and "asia" on one article count once.
      if (g.articles.length < limit && g.articles[g.articles.length - 1] !== a) g.articles.push(a);
    }
  }
  return [...groups.values()].sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
}

export function taxonomySlug(name: string): string {
  const folded = name.toLowerCase();
  const slug = slugify(folded);
  const faithful = slug && slug === folded.trim().replace(/[\s_]+/g, '-');
  return faithful ? slug : `${slug ? slug + '-' : ''}${sha256(folded).slice(0, 8)}`;
}
