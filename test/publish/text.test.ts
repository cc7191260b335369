import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { cleanText, XmlStrings } from '../../src/publish/text.js';

describe('XmlStrings', () => {
  it('escapes text, CDATA-wrapped text and attribute values for their context', () => {
    const x = new XmlStrings();
    const hostile = 'a & b < c > d " e ]]> f ]]> g &amp; h';
    const xml = `<r a="${x.put(hostile)}"><t>${x.put(hostile)}</t><c><![CDATA[${x.put(hostile)}]]></c></r>`;
    const out = x.restore(xml);
    expect(XMLValidator.validate(out)).toBe(true);
    const parsed = new XMLParser({ ignoreAttributes: false, processEntities: true, htmlEntities: false }).parse(out) as { r: { '@_a': string; t: string; c: string } };
    expect(parsed.r['@_a']).toBe(hostile);
    expect(parsed.r.t).toBe(hostile);
    expect(parsed.r.c).toBe(hostile);
  });

  it('does not re-expand a value that looks like a placeholder', () => {
    const x = new XmlStrings();
    const sneaky = '\uE0001\uE001';
    const out = x.restore(`<r>${x.put(sneaky)}|${x.put('second')}</r>`);
    expect(out).toBe('<r>|second</r>'.replace('|', sneaky + '|'));
  });

  it('gives the feed package a date whose written form, in RSS and Atom alike, is the text we computed', () => {
    const x = new XmlStrings();
    const at = new Date('2026-04-02T08:00:00Z');
    const date = x.date(at, 'our text & more');
    expect(date.getTime()).toBe(at.getTime());
    expect(x.restore(`<pubDate>${date.toUTCString()}</pubDate><updated>${date.toISOString()}</updated>`)).toBe('<pubDate>our text &amp; more</pubDate><updated>our text &amp; more</updated>');
  });

  it('keeps tabs and newlines of attribute values', () => {
    const x = new XmlStrings();
    expect(x.restore(`<r a="${x.put('a\tb\nc')}"/>`)).toBe('<r a="a&#9;b&#10;c"/>');
  });
});

describe('cleanText', () => {
  it('removes characters XML cannot carry and C1 controls, keeping text, tabs, newlines and emoji', () => {
    expect(cleanText('a\u0000b\u0001c\u0008d\u000Be\u000Cf\u001Fg\u007Fh\u0085i\u009Fj\uFFFEk\uFFFFl')).toBe('abcdefghijkl');
    expect(cleanText('tab\tnl\ncr\r')).toBe('tab\tnl\ncr\r');
    expect(cleanText('lone \uD800 high, lone \uDC00 low, pair 😀')).toBe('lone  high, lone  low, pair 😀');
    expect(cleanText('日本語 – “quotes” €')).toBe('日本語 – “quotes” €');
  });
});
