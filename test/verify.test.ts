import { describe, expect, it } from 'vitest';
import { verifyOutput } from '../src/publish/verify.js';

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
