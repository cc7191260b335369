import { SaxesParser } from 'saxes';
import { describe, expect, it } from 'vitest';
import { escapeXml, escapeXmlAttribute, escapeXmlHex } from '../../src/util/escape.js';

const HOSTILE = 'a & b < c > d " e ]]> f &amp; g &#38; h';
/** The attribute `a` and the text of `<r>`, as a conforming XML parser reads them. */
function parse(xml: string): { attribute: string; text: string } {
  const parser = new SaxesParser();
  const read = { attribute: '', text: '' };
  parser.on('opentag', (tag) => (read.attribute = tag.attributes.a as string));
  parser.on('text', (text) => (read.text += text));
  parser.write(xml).close();
  return read;
}

describe('escaping for XML', () => {
  it('writes named references, "&" first so a reference in the text is itself escaped', () => {
    expect(escapeXml(HOSTILE)).toBe('a &amp; b &lt; c &gt; d &quot; e ]]&gt; f &amp;amp; g &amp;#38; h');
  });

  it('writes hexadecimal references for the same characters', () => {
    expect(escapeXmlHex(HOSTILE)).toBe('a &#x26; b &#x3C; c &#x3E; d &#x22; e ]]&#x3E; f &#x26;amp; g &#x26;#38; h');
  });

  it('keeps tab, LF and CR of an attribute value as references, with either form', () => {
    expect(escapeXmlAttribute('a\tb\nc\rd & "e"')).toBe('a&#9;b&#10;c&#13;d &amp; &quot;e&quot;');
    expect(escapeXmlAttribute('a\tb & "e"', escapeXmlHex)).toBe('a&#9;b &#x26; &#x22;e&#x22;');
  });

  it('reads back as the same string in text and in an attribute', () => {
    const value = `${HOSTILE}\ttab\nline\rreturn`;
    for (const escape of [escapeXml, escapeXmlHex]) {
      const read = parse(`<r a="${escapeXmlAttribute(value, escape)}">${escape(value)}</r>`);
      expect(read.attribute).toBe(value);
      expect(read.text).toBe(value.replace(/\r\n?/g, '\n')); // XML 1.0 2.11: a literal CR in text is read as LF
    }
  });
});
