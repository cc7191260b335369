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
import { Feed, type FeedOptions, type Item } from 'feed';
import type { Article } from '../content/schema.js';
import type { Diagnostic } from '../diagnostics/diagnostics.js';
import type { FeedModel } from './model.js';
import type { FeedContent, RenderedMap } from './shared.js';
import { compact, XmlStrings } from './text.js';
import { invalid, rootStartTag, verifyFrame, verifyJsonFragment, verifyXmlFragment, type ParseError } from './verify.js';
import type { FeedFormat } from './files.js';

/**
 * A feed item's serialised fragment (below), verified: its text, its UTF-8 bytes, or both. A build
 * that writes files as bytes gets them from the render workers as bytes only (transferred, not
 * copied), encoded once and then copied into every feed file that carries the item and into the
 * cache; the text is decoded only where one is needed (fragmentText).
 */
export type StoredFragment = {
  /** The XML root start tag it was verified under ('' for JSON): its in-scope namespaces. */
  verifiedIn: string;
} & ({ text: string; utf8?: Buffer } | { text?: undefined; utf8: Buffer });

/**
 * A fragment's text: as kept, or decoded from its bytes and kept from then on (a build that keeps
 * its files as text decodes each fragment once, however many feeds carry it; a publisher, which
 * writes bytes, decodes none). V8 keeps a decoded string one byte a character where it can.
 */
export function fragmentText(f: StoredFragment | Rejected): string {
  return (f.text ??= f.utf8!.toString('utf8'));
}


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

/**
 * `assemble`, as the chunks of its UTF-8 bytes: the frame's, and each fragment's, encoded once
 * however many feeds carry it. Hashed and written chunk by chunk (publish/write.ts), a feed file
 * is never joined in memory: on a cold build that is tens of MB never allocated.
 */
export function assembleChunks(frame: Frame, fragments: readonly Buffer[]): Buffer[] {
  const parts: Buffer[] = [Buffer.from(frame.head, 'utf8')];
  const separator = frame.separator ? Buffer.from(frame.separator, 'utf8') : undefined;
  fragments.forEach((f, i) => (i && separator ? parts.push(separator, f) : parts.push(f)));
  if (frame.tail) parts.push(Buffer.from(frame.tail, 'utf8'));
  return parts;
}

export function assemble(frame: Frame, fragments: readonly string[]): string {
  // One join makes one flat string. `head + joined + tail` would make the joined one (hundreds of
  // kilobytes, straight into V8's large-object space) and then a flattened copy of the whole.
  const parts: string[] = [frame.head];
  fragments.forEach((f, i) => (i ? parts.push(frame.separator, f) : parts.push(f)));
  parts.push(frame.tail);
  return parts.join('');
}

/** The channel of the one-item documents items are cut from: fixed, so no item sees a feed's strings or the clock. */
const ITEM_HOST = { id: 'urn:feedpipe:item', title: 'item', link: 'https://feedpipe.invalid/', updated: new Date(0), generator: false } as const;

/**
 * The item a non-empty feed's frame is cut around. It has content, as every
 * item of ours does, because the feed package declares the RSS content and dc
 * namespaces only when some item has content.
 */
const MARKER_ITEM: Item = { title: 'marker', link: 'https://feedpipe.invalid/marker', date: new Date(0), content: 'marker' };

/**
 * Splits xml-js output around its only `<name>` element, which must be the
 * last child of its parent and sit at `indent` spaces (xml-js indents by
 * depth; it escapes "<" in text, so `<name>` at a line start is always a
 * tag). `after` is what the output must end with; a layout the feed package
 * did not produce before throws rather than cutting in the wrong place.
 */
function cutLastElement(xml: string, name: string, indent: number, after: string): { before: string; element: string; after: string } {
  const open = `\n${' '.repeat(indent)}<${name}>`;
  const start = xml.indexOf(open);
  const end = xml.length - after.length;
  if (start < 0 || xml.indexOf(open, start + 1) >= 0 || !xml.endsWith(after) || !xml.startsWith(`</${name}>`, end - name.length - 3)) {
    throw new Error(`unexpected ${name} layout from the feed package`);
  }
  // The newline before the parent's closing tag ends the element's last line.
  return { before: xml.slice(0, start + 1), element: xml.slice(start + 1, end) + '\n', after: after.slice(1) };
}

/** Where an XML format's items sit in the feed package's output. */
export interface XmlLayout {
  element: 'item' | 'entry';
  /** Spaces before the element's tag (xml-js indents by depth). */
  indent: number;
  /** What the document ends with after the last item. */
  closing: string;
  serialise(feed: Feed): string;
}

/**
 * An XML format (rss.ts, atom.ts) from where its items sit, its channel and
 * item options for the feed package, and its fixes to the document's head
 * (stylesheet line, hub links, xml:lang):
 * - `render`: the whole document in one piece, the reference the assembled
 *   files are held to (test/publish/fragment.test.ts);
 * - `frame`: everything but the items;
 * - `item`: one item's element with its indentation and trailing newline,
 *   exactly as it appears in any feed that carries it (xml-js indents by
 *   depth, and nothing in an item depends on its channel or its neighbours).
 */
export function xmlFormat(
  layout: XmlLayout,
  channel: (x: XmlStrings, model: FeedModel) => FeedOptions,
  itemOf: (x: XmlStrings, a: Article, content: FeedContent) => Item,
  finishHead: (head: string, model: FeedModel) => string,
  itemExtras: ItemExtras = {},
): FormatSerialiser & { render(model: FeedModel, rendered: RenderedMap): string } {
  const indent = ' '.repeat(layout.indent);
  const start = `${indent}<${layout.element}>`;
  const end = `${indent}</${layout.element}>`;
  const withAttributes = (startTag: string, a: Article) => {
    const attributes = itemExtras.attributes?.(a) ?? '';
    return attributes ? `${startTag.slice(0, -1)}${attributes}>` : startTag;
  };
  // Children the feed package cannot make, as whole lines before the closing tag, one level deeper.
  const withChildren = (endTag: string, a: Article) => (itemExtras.children?.(a) ?? []).map((c) => `${indent}    ${c}\n`).join('') + endTag;
  return {
    render(model, rendered) {
      const x = new XmlStrings();
      const feed = new Feed(channel(x, model));
      for (const a of model.items) feed.addItem(itemOf(x, a, rendered.get(a.id)!));
      // The k-th item's start and end tags at a line start are the k-th item's (see cutLastElement).
      let k = 0;
      let m = 0;
      const xml = x
        .restore(layout.serialise(feed))
        .replaceAll(`\n${start}`, (tag) => withAttributes(tag, model.items[k++]!))
        .replaceAll(`\n${end}`, (tag) => '\n' + withChildren(tag.slice(1), model.items[m++]!));
      return finishHead(xml, model) + '\n';
    },
    frame(model) {
      const x = new XmlStrings();
      return cutFrame(layout, x, new Feed(channel(x, model)), model.items.length > 0, (head) => finishHead(head, model));
    },
    item(a, content) {
      const x = new XmlStrings();
      const element = cutItem(layout, x, itemOf(x, a, content));
      const body = element.slice(start.length, element.length - end.length - 1);
      return withAttributes(start, a) + body + withChildren(end, a) + '\n';
    },
  };
}

/** What an XML format adds to an item that the feed package has no option for (escaped by the format). */
export interface ItemExtras {
  /** Attributes of the item's element, each with its leading space. */
  attributes?(a: Article): string;
  /** Whole child elements, appended after the package's. */
  children?(a: Article): string[];
}

/**
 * The frame of an XML feed: the whole document when it has no items, or the
 * document cut around a marker item (see MARKER_ITEM).
 */
function cutFrame(layout: XmlLayout, x: XmlStrings, feed: Feed, hasItems: boolean, finishHead: (head: string) => string): Frame {
  if (!hasItems) return { head: finishHead(x.restore(layout.serialise(feed))) + '\n', tail: '', separator: '' };
  feed.addItem(MARKER_ITEM);
  const { before, after } = cutLastElement(layout.serialise(feed), layout.element, layout.indent, layout.closing);
  return { head: finishHead(x.restore(before)), tail: x.restore(after) + '\n', separator: '' };
}

/** One item's element, cut from a one-item document of the fixed ITEM_HOST channel. */
function cutItem(layout: XmlLayout, x: XmlStrings, item: Item): string {
  const feed = new Feed(ITEM_HOST);
  feed.addItem(item);
  return x.restore(cutLastElement(layout.serialise(feed), layout.element, layout.indent, layout.closing).element);
}

/** Where verified fragments are kept between feeds and builds: the BuildCache. */
export interface FragmentStore {
  fragment(path: string, hash: string, format: FeedFormat): StoredFragment | undefined;
  setFragment(path: string, hash: string, format: FeedFormat, fragment: StoredFragment): void;
}

/** What one build's feeds share while they are serialised. */
export interface FragmentContext {
  serialisers: Record<FeedFormat, FormatSerialiser>;
  store: FragmentStore;
  rendered: RenderedMap;
  /** The hash of the bytes an article was read from: with its path and the format, a fragment's key. */
  hashOf(a: Article): string;
  /** Fragments serialised so far (the build's `fragments` stat). */
  made: number;
  /** Fragments that failed verification in this build, each made and verified once; never stored. */
  rejected: Map<string, Rejected>;
  /** Files are made as UTF-8 bytes (what is written), not as text. */
  bytes: boolean;
}

export function fragmentContext(serialisers: Record<FeedFormat, FormatSerialiser>, store: FragmentStore, rendered: RenderedMap, hashOf: (a: Article) => string, options: { bytes?: boolean } = {}): FragmentContext {
  return { serialisers, store, rendered, hashOf, made: 0, rejected: new Map(), bytes: !!options.bytes };
}

/**
 * One feed file: its frame made and verified, each item's fragment taken
 * from the store or made and verified once, then assembled. A fragment that
 * does not verify gives an `output-invalid` diagnostic naming the file, the
 * line in it and the article.
 */
export function serialiseFeed(model: FeedModel, format: FeedFormat, relPath: string, ctx: FragmentContext): { file: string | Buffer[]; items?: Buffer[]; diagnostics: Diagnostic[] } {
  const { frame, diagnostics } = verifiedFrame(ctx.serialisers[format], model, relPath);
  // The namespaces in scope where the items go: those the file's root declares.
  const root = format === 'json' || !model.items.length ? '' : rootStartTag(frame.head);
  const fragments: (StoredFragment | Rejected)[] = [];
  for (const a of model.items) {
    const fragment = fragmentOf(a, format, root, ctx);
    if ('error' in fragment) {
      const before = frame.head + fragments.map((f) => fragmentText(f) + frame.separator).join('');
      const line = fragment.error.line === undefined ? undefined : before.split('\n').length - 1 + fragment.error.line;
      diagnostics.push(invalid(relPath, { ...fragment.error, ...(line !== undefined ? { line } : {}) }, a.source.displayPath));
    }
    fragments.push(fragment);
  }
  if (!ctx.bytes) return { file: assemble(frame, fragments.map(fragmentText)), diagnostics };
  // Each fragment encoded once, however many feeds carry it: it keeps its bytes.
  const items = fragments.map((f) => f.utf8 ?? (f.utf8 = Buffer.from(f.text!, 'utf8')));
  return { file: assembleChunks(frame, items), items, diagnostics };
}

/**
 * The frame each feed file verified with last, by serialiser and file, with everything it was
 * made from: the model without its items, and whether it has any. A publisher whose edit changed
 * one item's bytes makes no frame again. One entry per feed file, so it is as large as the site.
 */
const verifiedFrames = new WeakMap<FormatSerialiser, Map<string, { made: string; frame: Frame }>>();

function verifiedFrame(serialiser: FormatSerialiser, model: FeedModel, relPath: string): { frame: Frame; diagnostics: Diagnostic[] } {
  const { items, ...meta } = model;
  const made = `${items.length > 0}\0${JSON.stringify(meta)}`;
  let kept = verifiedFrames.get(serialiser);
  const last = kept?.get(relPath);
  if (last?.made === made) return { frame: last.frame, diagnostics: [] };
  const fresh = serialiser.frame(model);
  const frame = { ...fresh, head: compact(fresh.head), tail: compact(fresh.tail) };
  const diagnostics = verifyFrame(relPath, frame);
  if (diagnostics.length) return { frame, diagnostics }; // made and reported again by every build, as it should be
  if (!kept) verifiedFrames.set(serialiser, (kept = new Map()));
  if (kept.size > 100_000) kept.clear(); // feeds a long-running publisher no longer has, over months
  kept.set(relPath, { made, frame });
  return { frame, diagnostics };
}

/** A fragment that failed verification (kept for this build only, in `rejected`). */
type Rejected = { text: string; error: ParseError; utf8?: Buffer };

/** The verified fragment, as stored; or one that failed verification, with its error. */
function fragmentOf(a: Article, format: FeedFormat, root: string, ctx: FragmentContext): StoredFragment | Rejected {
  const path = a.source.absPath;
  const hash = ctx.hashOf(a);
  const stored = ctx.store.fragment(path, hash, format);
  if (stored && stored.verifiedIn === root) return stored;
  const key = `${format}\0${root}\0${path}`;
  const rejected = ctx.rejected.get(key);
  if (rejected) return rejected;
  // Read, not kept: a fragment verified again keeps the form it had (see below).
  let text = stored && (stored.text ?? stored.utf8!.toString('utf8'));
  if (text === undefined) {
    text = compact(ctx.serialisers[format].item(a, ctx.rendered.get(a.id)!));
    ctx.made++;
  }
  const error = format === 'json' ? verifyJsonFragment(text) : verifyXmlFragment(text, root);
  if (error) {
    const failed: Rejected = { text, error };
    ctx.rejected.set(key, failed);
    return failed;
  }
  // Verified again under another root: bytes stay bytes (see StoredFragment).
  const verified: StoredFragment = stored?.text === undefined && stored?.utf8 ? { utf8: stored.utf8, verifiedIn: root } : { text, verifiedIn: root, ...(stored?.utf8 ? { utf8: stored.utf8 } : {}) };
  ctx.store.setFragment(path, hash, format, verified);
  return verified;
}
