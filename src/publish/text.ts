import { escapeXml, escapeXmlAttribute, escapeXmlHex } from '../util/escape.js';

/**
 * Characters XML 1.0 cannot carry at all (C0 controls but tab, CR and LF; lone
 * surrogates; U+FFFE/U+FFFF), plus C1 controls and DEL, which XML allows but
 * which no reader displays and the W3C validator flags. Removed from every
 * string of every format, so RSS, Atom and JSON Feed say the same thing.
 */
// eslint-disable-next-line no-control-regex
const UNWANTED = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

// One plain character class: a fast scan that clean text (nearly all text) passes untouched.
// eslint-disable-next-line no-control-regex
const SUSPECT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uD800-\uDFFF\uFFFE\uFFFF]/;

export function cleanText(text: string): string {
  return SUSPECT.test(text) ? text.replace(UNWANTED, '') : text;
}

/**
 * The `feed` package builds the XML tree; this owns every character of our
 * strings in it. feed and its serialiser (xml-js) escape inconsistently: text
 * has `&amp;` un-escaped first (so a literal "&amp;" is lost), attribute
 * values only get `"` escaped (a `<` in a tag breaks the document), and only
 * the first `]]>` of a CDATA section is split. So every string we hand to
 * feed is a placeholder from private-use code points, and after serialisation
 * each placeholder is replaced by the string escaped for its context; CDATA
 * wrappers around placeholders are dropped, since escaped text says the same.
 */
export class XmlStrings {
  private readonly values: { text: string; hex: boolean }[] = [];

  /**
   * A placeholder for `value`, to pass to feed instead of the string itself.
   * `hex` escapes with hexadecimal character references (escapeXmlHex), the
   * mark of plain text in RSS (no "contains HTML" warning from the W3C validator).
   */
  put(value: string, options: { hex?: boolean } = {}): string {
    this.values.push({ text: cleanText(value), hex: options.hex ?? false });
    return `\uE000${this.values.length - 1}\uE001`;
  }

  /**
   * A Date to pass to feed whose written form is `text`, computed by us
   * (publish/feed-dates.ts): feed writes dates with toUTCString (RSS) and
   * toISOString (Atom), and here both give a placeholder for `text`. Its
   * value is still `at`, for anything that compares dates.
   */
  date(at: Date, text: string): Date {
    const placeholder = this.put(text);
    const date = new Date(at.getTime());
    date.toUTCString = date.toISOString = () => placeholder;
    return date;
  }

  /**
   * A placeholder for an IRI that feed passes through `new URL()` (Atom's entry <id>): the URL
   * parser percent-encodes what is not ASCII (`tag:…:café` becomes `tag:…:caf%C3%A9`), so the
   * entry would have another identity than the same item's RSS guid and JSON Feed id. This
   * placeholder is `urn:` and a put() placeholder, which the parser percent-encodes to
   * `urn:%EE%80%80<n>%EE%80%81` and nothing else; restore() puts the IRI back as written.
   */
  iri(value: string): string {
    return `urn:${this.put(value)}`;
  }

  restore(xml: string): string {
    // One pass: a restored value is never scanned again, even if it looks like a placeholder.
    return xml.replace(/<!\[CDATA\[\uE000(\d+)\uE001\]\]>|="\uE000(\d+)\uE001"|\uE000(\d+)\uE001|urn:%EE%80%80(\d+)%EE%80%81/g, (_, cdata?: string, attr?: string, text?: string, iri?: string) => {
      const v = this.values[Number(cdata ?? attr ?? text ?? iri)]!;
      const escape = v.hex ? escapeXmlHex : escapeXml;
      return attr !== undefined ? `="${escapeXmlAttribute(v.text, escape)}"` : escape(v.text);
    });
  }
}

const BEYOND_LATIN1 = /[^\u0000-\u00ff]/;

/**
 * The same string, held one byte a character when it can be. V8 keeps a
 * string made from one with any character beyond U+00FF (our placeholders,
 * above) two bytes a character, and so every file joined from
 * it: fragments are kept across builds, and an ASCII site's, and the files
 * joined from them, would take twice the memory.
 */
export function compact(text: string): string {
  return BEYOND_LATIN1.test(text) ? text : Buffer.from(text, 'latin1').toString('latin1');
}
