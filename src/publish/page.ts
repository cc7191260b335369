import type { Config } from '../config/config.js';
import { zonedParts } from '../util/dates.js';
import { isListed, type FeedModel } from './model.js';
import { GENERATOR, type RenderedMap } from './shared.js';
import { cleanText } from './text.js';
import { escapeXml } from '../util/escape.js';
import { ARCHIVE_DIR, FEED_FILES, MIME, type FeedFormat } from './files.js';
import type { Article } from '../content/schema.js';

/** How many of the main feed's newest items the page lists. */
export const INDEX_ITEMS = 20;

/** The items the page lists, newest first: the build renders these for the page even when no feed is serialised. */
export function indexItems(main: FeedModel): Article[] {
  return main.items.slice(0, INDEX_ITEMS);
}

const FORMAT_NAMES: Record<FeedFormat, string> = { rss: 'RSS', atom: 'Atom', json: 'JSON Feed' };
const FORMATS: FeedFormat[] = ['rss', 'atom', 'json'];

/**
 * dist/index.html: the page a person lands on. It lists every feed with an
 * autodiscovery `<link rel="alternate">` (so a reader given the site's address
 * finds them; the main feed comes first, as readers take the first as the
 * default) and the main feed's latest items. No script.
 *
 * Feed links are relative, so the page works wherever dist/ is served (and
 * equal site.url's when it is served there); the absolute address is shown
 * as text for copying. Written as polyglot HTML (also well-formed XML), so the
 * build's strict parser checks every escape before it is published.
 */
export function renderIndexPage(all: readonly FeedModel[], config: Config, rendered: RenderedMap): string {
  const { site } = config;
  // The feeds people subscribe to; each row links to its archive (RFC 5005), not to every page of it.
  // Not a feed kept empty for a while after its last article went (publish/emptied.ts): nothing to follow.
  const models = all.filter(isListed);
  const main = models.find((m) => m.kind === 'main')!;
  const t = (s: string) => escapeXml(cleanText(s));
  const alternates = models.flatMap((m) =>
    FORMATS.map((f) => `<link rel="alternate" type="${MIME[f]}" title="${t(`${m.title} (${FORMAT_NAMES[f]})`)}" href="${t(m.dir + FEED_FILES[f])}"/>`),
  );
  const feedRow = (m: FeedModel, name: string) =>
    `<li><strong>${t(name)}</strong> ` +
    FORMATS.map((f) => `<a href="${t(m.dir + FEED_FILES[f])}" type="${MIME[f]}">${FORMAT_NAMES[f]}</a>`).join(' · ') +
    ` <code>${t(m.links.rss)}</code>${archiveLink(m, t)}</li>`;
  const group = (kind: FeedModel['kind'], heading: string) => {
    const list = models.filter((m) => m.kind === kind);
    if (!list.length) return [];
    return [`<h3>${heading}</h3>`, '<ul class="feeds">', ...list.map((m) => feedRow(m, m.title.slice(site.title.length + 2) || m.title)), '</ul>'];
  };
  const items = indexItems(main).map((a) => {
    const { yyyy, mm, dd } = zonedParts(a.date, site.timezone);
    const summary = rendered.get(a.id)?.summary ?? '';
    return `<li><a href="${t(a.url)}">${t(a.title)}</a> <time datetime="${a.date.toISOString()}">${yyyy}-${mm}-${dd}</time>${summary ? `<p>${t(summary)}</p>` : ''}</li>`;
  });
  const lines = [
    '<!DOCTYPE html>',
    `<html lang="${t(site.language)}">`,
    '<head>',
    '<meta charset="utf-8"/>',
    '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
    `<meta name="generator" content="${GENERATOR}"/>`,
    `<title>${t(site.title)}: feeds</title>`,
    ...alternates,
    '<style>body{font:17px/1.5 system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem;color:#1d1d1f}' +
      '.about{background:#eef5ff;border:1px solid #9cc1f0;border-radius:8px;padding:.75rem 1rem}' +
      'code{overflow-wrap:anywhere;font-size:.85rem}ul.feeds li,ol li{margin-bottom:.6rem}time{color:#666;font-size:.9rem}li p{margin:.2rem 0 0}</style>',
    '</head>',
    '<body>',
    '<header>',
    `<h1>${t(site.title)}</h1>`,
    ...(site.description ? [`<p>${t(site.description)}</p>`] : []),
    `<p><a href="${t(site.url)}">Visit the website</a></p>`,
    '</header>',
    '<section class="about">',
    `<h2>Follow ${t(site.title)} in your feed reader</h2>`,
    '<p>A web feed lets you follow this site in a <strong>feed reader</strong> (a news reader or RSS reader): new articles come to you by themselves, with no account or e-mail address to give. ' +
      'To subscribe, copy the address of a feed below into your reader. Most readers also find the feeds if you give them the address of this page.</p>',
    '<p>Each feed comes in three formats with the same articles: RSS and Atom work in every reader; JSON Feed suits newer readers and web apps.</p>',
    '</section>',
    '<h2>Feeds</h2>',
    '<ul class="feeds">',
    feedRow(main, 'All articles'),
    '</ul>',
    ...group('section', 'Sections'),
    ...group('tag', 'Tags'),
    ...group('author', 'Authors'),
    '<h2>Latest articles</h2>',
    items.length ? ['<ol>', ...items, '</ol>'].join('\n') : '<p>Nothing has been published yet.</p>',
    '</body>',
    '</html>',
  ];
  return lines.join('\n') + '\n';
}

/** A feed's link to its newest archive page (RFC 5005), from which every older article is a prev-archive link away. */
function archiveLink(m: FeedModel, t: (s: string) => string): string {
  const h = m.history;
  if (h?.archive !== false) return '';
  const pages = `${h.pages} page${h.pages === 1 ? '' : 's'}`;
  const newest = `${m.dir}${ARCHIVE_DIR}/${h.pages}/`;
  return (
    `<br/><small>Older articles, ${pages} of archive: ` +
    FORMATS.map((f) => `<a href="${t(newest + FEED_FILES[f])}" type="${MIME[f]}">${FORMAT_NAMES[f]}</a>`).join(' · ') +
    '</small>'
  );
}
