import { describe, expect, it } from 'vitest';
import { insertHubLinks, stylesheetOnOwnLine } from '../../src/publish/shared.js';

const RSS_HEAD = '<rss>\n    <channel>\n        <atom:link href="https://e.example/feed.xml" rel="self" type="application/rss+xml"/>\n        <item/>\n';

describe('insertHubLinks (WebSub discovery)', () => {
  it('puts one rel="hub" link per hub, in order, right after the rel="self" link and at its indentation', () => {
    expect(insertHubLinks(RSS_HEAD, ['https://a.example/', 'https://b.example/'], 'atom:link')).toBe(
      '<rss>\n    <channel>\n        <atom:link href="https://e.example/feed.xml" rel="self" type="application/rss+xml"/>\n' +
        '        <atom:link href="https://a.example/" rel="hub"/>\n        <atom:link href="https://b.example/" rel="hub"/>\n        <item/>\n',
    );
  });

  it('escapes a hub address for its attribute, tab included, and drops characters XML cannot carry', () => {
    const atom = '<feed>\n    <link rel="self" href="https://e.example/atom.xml"/>\n</feed>';
    expect(insertHubLinks(atom, ['https://h.example/?a=1&b="2"<x>\t\u0001'], 'link')).toContain('    <link href="https://h.example/?a=1&amp;b=&quot;2&quot;&lt;x&gt;&#9;" rel="hub"/>\n');
  });

  it('leaves a feed without hubs as it was, and refuses one with no rel="self" link to follow', () => {
    expect(insertHubLinks(RSS_HEAD, [], 'atom:link')).toBe(RSS_HEAD);
    expect(() => insertHubLinks('<rss>\n</rss>', ['https://a.example/'], 'atom:link')).toThrow(/rel="self"/);
  });
});

describe('stylesheetOnOwnLine', () => {
  it('moves the xml-stylesheet instruction off the declaration line', () => {
    expect(stylesheetOnOwnLine('<?xml version="1.0"?><?xml-stylesheet href="feed.xsl" type="text/xsl"?>\n<rss/>')).toBe('<?xml version="1.0"?>\n<?xml-stylesheet href="feed.xsl" type="text/xsl"?>\n<rss/>');
  });
});
