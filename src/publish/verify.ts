import { SaxesParser } from 'saxes';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostics.js';

/**
 * Every file is re-parsed in memory before anything is written: a document a
 * strict parser rejects never reaches dist/. saxes is a conforming XML 1.0
 * parser (it refuses control characters, a "<" in an attribute value, a
 * broken CDATA section, undeclared prefixes); fast-xml-parser's validator,
 * tried first, accepts all of those. A failure here is a feedpipe bug, and
 * the message says so.
 */
export function verifyOutput(relPath: string, text: string): Diagnostic[] {
  if (relPath.endsWith('.json')) {
    const error = parseJsonFeed(text);
    return error ? [invalid(relPath, error)] : [];
  }
  const error = parseXml(text);
  return error ? [invalid(relPath, error)] : [];
}

/**
 * Feeds are verified in pieces, each once (see src/publish/fragment.ts):
 * the frame of every feed file as an empty document (verifyFrame), and each
 * item's fragment once when it is made (verifyXmlFragment, verifyJsonFragment),
 * however many feeds carry it (a fragment kept from another feed or an
 * earlier build is trusted only under the same root start tag). A file whose
 * pieces all pass is well-formed as a whole, for these reasons; and a piece
 * that fails would fail in the whole file too, but for the shape rule (c),
 * which is stricter.
 *
 * XML. A file is head + F1 + … + Fn + tail. We check that (a) head + tail is a
 * well-formed, namespace-well-formed document; (b) each Fi is well-formed
 * inside a wrapper that is the file's own root start tag, with the same
 * namespace declarations, and its end tag; (c) head ends with a newline, tail
 * starts with spaces and an end tag, and each Fi starts with spaces and "<"
 * and ends with ">" and a newline.
 * - (b) makes each Fi a match of XML 1.0's `content` production: balanced (an
 *   element left open, or an unterminated CDATA section, comment or
 *   reference, would swallow or mismatch the wrapper's end tag), legal
 *   characters only, unique attributes per tag, and, as the file has no DTD
 *   and neither has the wrapper, only the five predefined entities and
 *   character references. The items sit in the root's element content (RSS
 *   `channel` declares no namespace), so the prefixes in scope there are the
 *   root's declarations: the wrapper's, and an undeclared prefix fails in the
 *   wrapper exactly as in the file.
 * - Nothing else in XML 1.0 or Namespaces in XML ties an element to its
 *   siblings: no DTD, so no ID uniqueness or content models. The one rule that
 *   could break at a seam is that character data must not contain "]]>";
 *   by (c) every seam is whitespace between ">" and "<", so none forms.
 * - So inserting the fragments at the items' place in the well-formed
 *   head + tail gives a well-formed file. The prolog (declaration,
 *   stylesheet instruction) and the single root are checked by (a).
 *
 * JSON. A file is head + F1 + ",\n" + … + Fn + tail. We check that head + tail
 * is a JSON Feed 1.1 document whose `items` is the array the head ends by
 * opening and the tail starts by closing, and that each Fi parses as a JSON
 * object. RFC 8259's array grammar (values separated by commas, whitespace
 * free around them) then makes the file parse, with exactly F1…Fn as its
 * items; re-parsing the assembled file would add nothing.
 */
export function verifyFrame(relPath: string, frame: { head: string; tail: string; separator: string }): Diagnostic[] {
  const empty = verifyOutput(relPath, frame.head + frame.tail);
  if (empty.length || !frame.tail) return empty; // no tail: a feed without items, the head is the whole file
  const seams = relPath.endsWith('.json') ? frame.head.endsWith('\n  "items": [\n') && /^\n *\]/.test(frame.tail) : frame.head.endsWith('\n') && /^ *<\//.test(frame.tail);
  return seams ? [] : [invalid(relPath, { message: 'the items do not go where the frame says (a feedpipe bug in src/publish/fragment.ts)' })];
}

/** The root element's start tag of an XML document (after the declaration and processing instructions). */
export function rootStartTag(head: string): string {
  const m = /<(?![?!])[^>]*>/.exec(head);
  if (!m) throw new Error('document has no root element');
  return m[0];
}

/** Verifies an XML fragment as element content of `root` (its start tag): see verifyFrame. */
export function verifyXmlFragment(fragment: string, root: string): ParseError | undefined {
  if (!/^ *</.test(fragment) || !fragment.endsWith('>\n')) return { message: 'an item does not start with a tag and end with a tag and a newline' };
  const name = /^<([^\s/>]+)/.exec(root)?.[1];
  const error = parseXml(`${root}${fragment}</${name}>`);
  // The wrapper's start tag has no newline: the fragment's lines are the wrapper's, its first line shifted by the tag.
  if (error?.line === 1 && error.column !== undefined) error.column = Math.max(1, error.column - root.length);
  return error;
}

export function verifyJsonFragment(fragment: string): ParseError | undefined {
  try {
    const value: unknown = JSON.parse(fragment);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? undefined : { message: 'an item is not a JSON object' };
  } catch (e) {
    return { message: (e as Error).message };
  }
}

export interface ParseError {
  message: string;
  line?: number;
  column?: number;
}

/**
 * The diagnostic for a file that does not parse. `item` names the article
 * whose fragment failed; `line` is then already the line in the file.
 */
export function invalid(relPath: string, error: ParseError, item?: string): Diagnostic {
  return diagnostic({
    code: 'output-invalid',
    file: relPath,
    ...(error.line ? { line: error.line, column: error.column ?? 1 } : {}),
    message: `generated file does not parse: ${item ? `the item made from ${item}: ` : ''}${error.message}`,
    
  });
}

function parseJsonFeed(text: string): ParseError | undefined {
  try {
    const parsed = JSON.parse(text) as { version?: unknown; items?: unknown };
    if (parsed.version !== 'https://jsonfeed.org/version/1.1' || !Array.isArray(parsed.items)) return { message: 'not a JSON Feed 1.1 document' };
  } catch (e) {
    return { message: (e as Error).message };
  }
  return undefined;
}

function parseXml(text: string): ParseError | undefined {
  const parser = new SaxesParser({ xmlns: true, position: true });
  let error: ParseError | undefined;
  // The place is read when the error is reported: close() resets the parser's position to 1:0.
  const record = (e: Error) => {
    error ??= { message: e.message.split('\n')[0]!.replace(/^\d+:\d+: /, ''), line: parser.line, column: Math.max(1, parser.column) };
  };
  parser.on('error', record);
  try {
    parser.write(text).close();
  } catch (e) {
    record(e as Error);
  }
  return error;
}
