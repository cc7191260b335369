import { describe, expect, it } from 'vitest';
import { iriProblem, resolveId } from '../../src/content/id.js';

const PREFIX = 'tag:news.example.com,2026:';
const resolve = (id: string) => resolveId(id, PREFIX);

describe('an explicit id', () => {
  it.each([
    'urn:uuid:4a7c4f5e-1d2b-4c3a-9e8f-0a1b2c3d4e5f',
    'tag:news.example.com,2026:story-123',
    'tag:desk@news.example.com,2026-03:a/b?c=d#e',
    'tag:News.Example.com,2026-03-14:x',
    'https://news.example.com/2026/03/alliance/',
    'http://user:pw@[2001:db8::1]:8080/a?b#c',
    'urn:isbn:0451450523',
    'tag:news.example.com,2026:café-日本-🎉',
    'tag:news.example.com,2026:caf%C3%A9',
    "tag:news.example.com,2026:R&D!$'()*+,;=",
    'https://x.example/?p=1&lang=en&c=2',
    'mailto:desk@news.example.com',
    'part:2',
  ])('keeps the IRI %s as written', (id) => {
    expect(resolve(id)).toEqual({ id });
  });

  it.each([
    ['story-123', `${PREFIX}story-123`],
    ['2026/alliance', `${PREFIX}2026/alliance`],
    ['café_crème~1.2', `${PREFIX}café_crème~1.2`],
    ['日本語', `${PREFIX}日本語`],
    ['1:2', `${PREFIX}1:2`],
  ])('prefixes the plain word %s', (word, id) => {
    expect(resolve(word)).toEqual({ id });
  });

  it.each([
    ['story 123', 'contains a space'],
    ['tag:news.example.com,2026:a b', 'contains a space'],
    ['urn:x:a\tb', 'contains white space (U+0009'],
    ['a\u00A0b', 'contains white space (U+00A0'],
    ['urn:x:a\u0001', 'contains the control character U+0001'],
    ['urn:x:a\u0085', 'contains the control character U+0085'],
    ['urn:x:a\u009F', 'contains the control character U+009F'],
    ['<b>bold</b>', 'contains "<", which an IRI cannot carry'],
    ['urn:x:<b>', 'contains "<", which an IRI cannot carry'],
    ['urn:x:a"b', `contains '"', which an IRI cannot carry`],
    ['urn:x:{a}', 'contains "{", which an IRI cannot carry'],
    ['urn:x:a|b', 'contains "|", which an IRI cannot carry'],
    ['urn:x:a\\b', 'contains "\\", which an IRI cannot carry'],
    ['urn:x:a^b', 'contains "^", which an IRI cannot carry'],
    ['urn:x:a`b', 'contains "`", which an IRI cannot carry'],
    ['urn:x:100%', 'has "%", which is not a percent-escape'],
    ['urn:x:%zz', 'has "%zz", which is not a percent-escape'],
    ['urn:x:a\u202Eb', 'contains the invisible bidirectional formatting character U+202E'],
    ['urn:x:a#b#c', 'fragment'],
    ['urn:x:a[1]', 'path'],
    ['http://exa mple.com/', 'contains a space'],
    ['http://[not-ipv6]/', 'authority'],
    ['http://example.com:80a/', 'authority'],
    ['story#1', '"#", "?", "[" or "]"'],
    ['urn:x:R&amp;D', 'contains "&amp;", which readers that take the id for HTML decode'],
    ['R&#38;D', 'contains "&#38;"'],
    ['urn:x:a&#x26;b', 'contains "&#x26;"'],
    ['https://x.example/?a=1&copy=2', 'contains "&copy"'],
    ['https://x.example/?a=1&notify=2', 'contains "&not"'],
    ['urn:x:a&lt', 'contains "&lt"'],
    ['tag:news.example.com:story', 'not a tag URI'],
    ['tag:news.example.com,26:story', 'not a tag URI'],
    ['tag:news.example.com,2026-13:story', 'not a tag URI'],
    ['tag:news.example.com,2026-01-32:story', 'not a tag URI'],
    ['tag:-news.example.com,2026:story', 'not a tag URI'],
    ['tag:,2026:story', 'not a tag URI'],
  ])('refuses %j: it %s', (id, problem) => {
    const r = resolve(id);
    expect('problem' in r && r.problem).toContain(problem);
  });

  it('answers at once on long ids that do not match (no backtracking blow-up)', () => {
    const started = performance.now();
    for (const n of [30, 300, 3000]) {
      for (const id of [`tag:${'a'.repeat(n)},2026:x `, `tag:${'a-'.repeat(n)}@,2026:x`, `urn:x:${'a'.repeat(n)} `, `http://${'a@'.repeat(n)}x/`, `tag:x,2026:${'%a'.repeat(n)}`]) {
        expect('problem' in resolve(id)).toBe(true);
      }
    }
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('checks an IRI without a place for one in an id (iriProblem)', () => {
    expect(iriProblem('story-123')).toMatch(/no scheme/);
    expect(iriProblem('urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66')).toBeUndefined();
  });
});
