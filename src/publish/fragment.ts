/**
 * A feed file is a frame (head and tail) around one fragment per item:
 *
 *   file = head + fragments.join(separator) + tail
 *
 * An item's fragment does not depend on the feed that carries it or on its
 * place there, so the build makes it once per article and format, verifies it
 * once (src/publish/verify.ts) and reuses it in every feed, and in later
 * builds while the article's bytes stay the same (BuildCache). rss.ts,
 * atom.ts and json.ts make frames and fragments; the `feed` package still
 * serialises the XML of both, and this module cuts them out of its output.
 */
import type { Item } from 'feed';
import type { Article } from '../content/schema.js';
import type { FeedModel } from './model.js';
import type { FeedContent } from './shared.js';

export interface Frame {
  /** Everything before the first item (the whole document when the feed has no items). */
  head: string;
  /** Everything after the last item. */
  tail: string;
  /** Between two fragments: nothing in XML, a comma and newline in JSON. */
  separator: string;
}

export interface FormatSerialiser {
  frame(model: FeedModel): Frame;
  item(a: Article, content: FeedContent): string;
}

export function assemble(frame: Frame, fragments: readonly string[]): string {
  return frame.head + fragments.join(frame.separator) + frame.tail;
}

/** The channel of the one-item documents items are cut from: fixed, so no item sees a feed's strings or the clock. */
export const ITEM_HOST = { id: 'urn:feedpipe:item', title: 'item', link: 'https://feedpipe.invalid/', updated: new Date(0), generator: false } as const;

/**
 * The item a non-empty feed's frame is cut around. It has content, as every
 * item of ours does, because the feed package declares the RSS content and dc
 * namespaces only when some item has content.
 */
export const MARKER_ITEM: Item = { title: 'marker', link: 'https://feedpipe.invalid/marker', date: new Date(0), content: 'marker' };

/**
 * Splits xml-js output around its only `<name>` element, which must be the
 * last child of its parent and sit at `indent` spaces (xml-js indents by
 * depth; it escapes "<" in text, so `<name>` at a line start is always a
 * tag). `after` is what the output must end with; a layout the feed package
 * did not produce before throws rather than cutting in the wrong place.
 */
export function cutLastElement(xml: string, name: string, indent: number, after: string): { before: string; element: string; after: string } {
  const open = `\n${' '.repeat(indent)}<${name}>`;
  const start = xml.indexOf(open);
  const end = xml.length - after.length;
  if (start < 0 || xml.indexOf(open, start + 1) >= 0 || !xml.endsWith(after) || !xml.startsWith(`</${name}>`, end - name.length - 3)) {
    throw new Error(`unexpected ${name} layout from the feed package`);
  }
  // The newline before the parent's closing tag ends the element's last line.
  return { before: xml.slice(0, start + 1), element: xml.slice(start + 1, end) + '\n', after: after.slice(1) };
}
