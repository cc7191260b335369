import { describe, expect, it } from 'vitest';
import { rootStartTag, verifyFrame, verifyJsonFragment, verifyOutput, verifyXmlFragment } from '../../src/publish/verify.js';

describe('verifyOutput', () => {
  it.each([
    ['a control character', '<r>a\u0001b</r>'],
    ['"<" in an attribute value', '<r a="x<y"/>'],
    ['a CDATA section split wrongly', '<r><![CDATA[one ]]]]><![CDATA[> two ]]> three]]></r>'],
    ['an undeclared prefix', '<r><media:content/></r>'],
    ['a bare ampersand', '<r>AT&T</r>'],
    ['a truncated document', '<rss><channel><title>x</title>'],
  ])('refuses %s', (_, xml) => {
    expect(verifyOutput('feed.xml', xml)).toMatchObject([{ code: 'output-invalid', file: 'feed.xml' }]);
  });

  it('accepts a well-formed document', () => {
    expect(verifyOutput('feed.xml', '<?xml version="1.0" encoding="utf-8"?>\n<r xmlns:m="urn:x"><m:a b="&lt;"/>AT&amp;T</r>')).toEqual([]);
  });

  it('checks JSON Feed version and items', () => {
    expect(verifyOutput('feed.json', '{"version":"https://jsonfeed.org/version/1","items":[]}')).toHaveLength(1);
    expect(verifyOutput('feed.json', '{"version":"https://jsonfeed.org/version/1.1","items":[]}')).toEqual([]);
  });

  it('gives the place of the error in the file', () => {
    expect(verifyOutput('feed.xml', '<r>\n<a>\n<m:x/></a></r>')).toMatchObject([{ line: 3, column: 6, message: 'generated file does not parse: unbound namespace prefix: "m".' }]);
  });
});

const SHAPE = 'an item does not start with a tag and end with a tag and a newline';

function parseErrorOf(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`${text} parses`);
}

describe('verifying a feed in pieces', () => {
  const RSS_ROOT = '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">';

  it('takes the root start tag after the declaration and instructions', () => {
    expect(rootStartTag(`<?xml version="1.0" encoding="utf-8"?>\n<?xml-stylesheet href="feed.xsl" type="text/xsl"?>\n${RSS_ROOT}\n    <channel>\n`)).toBe(RSS_ROOT);
  });

  it('verifies an item under the namespaces of the real root, and only those', () => {
    const item = '        <item>\n            <dc:creator>A &amp; B</dc:creator>\n        </item>\n';
    expect(verifyXmlFragment(item, RSS_ROOT)).toBeUndefined();
    expect(verifyXmlFragment(item, '<rss version="2.0">')).toMatchObject({ message: 'unbound namespace prefix: "dc".', line: 2 });
  });

  // Each is refused for its own reason, at its own place: an item that were accepted for the wrong reason would hide a real fault.
  it.each([
    ['an element left open', '        <item>\n', { message: 'unexpected close tag.', line: 2, column: 6 }],
    ['an unterminated CDATA section', '        <item><![CDATA[x</item>\n', { message: 'unclosed tag: item', line: 2, column: 6 }],
    ['an end tag of its parent', '    </rss><item/>\n', { message: 'documents may contain only one root.', line: 1, column: 16 }],
    ['an HTML entity (there is no DTD)', '        <item>&nbsp;</item>\n', { message: 'undefined entity.', line: 1, column: 20 }],
    ['text at a seam, where "]]" and ">" could meet', ']]<item/>\n', { message: SHAPE }],
    ['no newline at its end', '        <item/>', { message: SHAPE }],
  ])('refuses an XML item with %s', (_, item, error) => {
    expect(verifyXmlFragment(item, RSS_ROOT)).toEqual(error);
  });

  it('verifies a JSON item as one object', () => {
    expect(verifyJsonFragment('    {\n      "id": "x"\n    }')).toBeUndefined();
    // JSON.parse's own message (its wording is V8's), which names the comma after the object.
    const trailingComma = '    {"id": "x"},';
    expect(verifyJsonFragment(trailingComma)).toEqual({ message: parseErrorOf(trailingComma) });
    expect(parseErrorOf(trailingComma)).toMatch(/position 15\b/);
    expect(verifyJsonFragment('    ["x"]')).toEqual({ message: 'an item is not a JSON object' });
    expect(verifyJsonFragment('    "x"')).toEqual({ message: 'an item is not a JSON object' });
    expect(verifyJsonFragment('    null')).toEqual({ message: 'an item is not a JSON object' });
  });

  it('verifies a frame as an empty document whose seams are where the items go', () => {
    const json = { head: '{\n  "version": "https://jsonfeed.org/version/1.1",\n  "items": [\n', tail: '\n  ]\n}\n', separator: ',\n' };
    expect(verifyFrame('feed.json', json)).toEqual([]);
    expect(verifyFrame('feed.json', { ...json, head: '{\n  "version": "https://jsonfeed.org/version/1.1",\n  "items": [],\n  "x": [\n' })).toMatchObject([{ code: 'output-invalid' }]);
    const xml = { head: `${RSS_ROOT}\n    <channel>\n`, tail: '    </channel>\n</rss>\n', separator: '' };
    expect(verifyFrame('feed.xml', xml)).toEqual([]);
    expect(verifyFrame('feed.xml', { ...xml, head: `${RSS_ROOT}\n    <channel>` })).toMatchObject([{ code: 'output-invalid', file: 'feed.xml' }]);
    expect(verifyFrame('feed.xml', { ...xml, tail: '    </channel>\n' })).toMatchObject([{ code: 'output-invalid' }]);
  });
});
