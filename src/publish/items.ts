/**
 * Feed items made where their article is rendered: in a cold build the render
 * workers also serialise and verify each article's three fragments, so that
 * work is shared by the threads instead of left to the main thread afterwards.
 */
import type { Article } from '../content/schema.js';
import { atomEntry, atomFrame } from './atom.js';
import type { FormatSerialiser } from './fragment.js';
import { compact } from './text.js';
import { jsonFrame, jsonItem } from './json.js';
import type { FeedModel } from './model.js';
import { rssFrame, rssItem } from './rss.js';
import type { FeedContent } from './shared.js';
import { rootStartTag, verifyJsonFragment, verifyXmlFragment } from './verify.js';
import type { FeedFormat } from './files.js';
import type { StoredFragment } from './fragment.js';

export const SERIALISERS: Record<FeedFormat, FormatSerialiser> = {
  rss: { frame: rssFrame, item: rssItem },
  atom: { frame: atomFrame, item: atomEntry },
  json: { frame: jsonFrame, item: jsonItem },
};

/** The root start tag per format under which fragments are verified ('' for JSON), taken from a feed with items. */
export type Roots = Record<FeedFormat, string>;

export function rootsOf(model: FeedModel): Roots {
  return { rss: rootStartTag(compact(rssFrame(model).head)), atom: rootStartTag(compact(atomFrame(model).head)), json: '' };
}

/**
 * An article's fragment in each format, verified under `roots`. One that does
 * not verify is left out: the build makes it again and reports it with the
 * feed file and line.
 */
export function verifiedFragments(a: Article, content: FeedContent, roots: Roots): Partial<Record<FeedFormat, StoredFragment>> {
  const out: Partial<Record<FeedFormat, StoredFragment>> = {};
  for (const format of Object.keys(SERIALISERS) as FeedFormat[]) {
    const text = compact(SERIALISERS[format].item(a, content));
    const error = format === 'json' ? verifyJsonFragment(text) : verifyXmlFragment(text, roots[format]);
    if (!error) out[format] = { text, verifiedIn: roots[format] };
  }
  return out;
}
