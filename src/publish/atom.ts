import type { Article } from '../content/schema.js';
import { xmlFormat, type XmlLayout } from './fragment.js';
import type { FeedModel } from './model.js';
import { categories } from './rss.js';
import { GENERATOR, insertSelfLinks, stylesheetOnOwnLine, type FeedContent } from './shared.js';
import { cleanText, XmlStrings } from './text.js';
import { escapeXml, escapeXmlAttribute } from '../util/escape.js';
import { publishedAt, rfc3339Date, updatedAt } from './feed-dates.js';

const ATOM_LAYOUT: XmlLayout = { element: 'entry', indent: 4, closing: '\n</feed>', serialise: (feed) => feed.atom1() };

/** Atom 1.0 (RFC 4287): the document, its frame and one `<entry>` (see xmlFormat). */
export const { render: renderAtom, frame: atomFrame, item: atomEntry } = xmlFormat(ATOM_LAYOUT, feedOptions, entry, finishHead, {
  // An article's own language on its entry (RFC 4287 2: xml:lang on any element), as JSON Feed's item `language`. Language tags are validated: nothing to escape.
  attributes: (a) => (a.lang ? ` xml:lang="${a.lang}"` : ''),
  // Its media files (RFC 4287 4.2.7.2), each with its own type and length: feed's enclosure option guesses the type from the extension.
  children: (a) => (a.enclosures ?? []).map((e) => `<link rel="enclosure" href="${attr(e.url)}" type="${attr(e.type)}" length="${e.length}"/>`),
});

function attr(value: string): string {
  return escapeXmlAttribute(cleanText(value), escapeXml);
}

function feedOptions(x: XmlStrings, model: FeedModel) {
  return {
    // An archive page is a document of the same feed (RFC 5005): the same id, its own self link.
    id: model.history?.archive ? model.history.current.atom : model.links.atom,
    link: model.homeUrl,
    title: x.put(model.title),
    // The feed's <updated> (feed-dates.ts); feed would write the build time were it missing.
    updated: x.date(model.updated, rfc3339Date(model.updated)),
    generator: GENERATOR,
    feedLinks: { atom: model.links.atom },
    stylesheet: x.put(model.stylesheet),
    ...(model.description ? { description: x.put(model.description) } : {}),
    // RFC 4287 4.1.1: a feed without authors needs one on every entry; the site is the fallback.
    author: model.author ? person(x, model.author) : { name: x.put(model.title) },
    ...(model.logo ? { image: model.logo } : {}),
    ...(model.icon ? { favicon: model.icon } : {}),
    ...(model.copyright ? { copyright: x.put(model.copyright) } : {}),
  };
}

function entry(x: XmlStrings, a: Article, r: FeedContent) {
  return {
    // feed declares titles and summaries type="html": plain text is escaped as HTML first.
    title: x.put(escapeXml(a.title)),
    link: a.url,
    // As written, as in RSS and JSON Feed: feed would percent-encode a non-ASCII IRI (XmlStrings.iri).
    id: x.iri(a.id),
    // <updated> and <published> (feed-dates.ts).
    date: x.date(updatedAt(a), rfc3339Date(updatedAt(a))),
    published: x.date(publishedAt(a), rfc3339Date(publishedAt(a))),
    description: x.put(escapeXml(r.summary)),
    content: x.put(r.html),
    ...(a.authors.length ? { author: a.authors.map((p) => person(x, p)) } : {}),
    category: categories(a).map((name) => ({ term: x.put(name) })),
  };
}

/** What we change in the document's head: the stylesheet line, the hub and archive links and the language (all before the first entry). */
function finishHead(xml: string, model: FeedModel): string {
  const finished = insertSelfLinks(stylesheetOnOwnLine(xml), model, 'link', 'atom');
  // feed has no option for the feed's language; RFC 4287 uses xml:lang.
  return finished.replace('<feed xmlns="http://www.w3.org/2005/Atom">', `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${model.language}">`);
}

function person(x: XmlStrings, p: { name: string; email?: string; url?: string }) {
  return { name: x.put(p.name), ...(p.email ? { email: x.put(p.email) } : {}), ...(p.url ? { link: p.url } : {}) };
}
