import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/config.js';
import { splitSource } from '../../src/content/split.js';
import { asUri, findCollisions, slugFromPath, validateArticle, type Article } from '../../src/content/schema.js';
import { baseConfig } from '../helpers/site.js';

const config = configSchema.parse({ ...baseConfig, site: { ...baseConfig.site, timezone: 'Europe/London' } });

function validate(text: string, relPath = '2025/alliance.md') {
  const { source, diagnostics } = splitSource(Buffer.from(text), `/c/${relPath}`, `content/${relPath}`, relPath);
  if (!source) throw new Error(JSON.stringify(diagnostics));
  return validateArticle(source, config);
}

const valid = (extra = '') => `---\ntitle: Allies agree\ndate: 2025-03-14T08:30:00+09:00\n${extra}---\nBody.\n`;

describe('frontmatter validation', () => {
  it('derives slug, URL and id from the file and config', () => {
    const { article, diagnostics } = validate(valid(), '2025/2025-03-14-alliance.md');
    expect(diagnostics).toEqual([]);
    expect(article).toMatchObject({
      slug: 'alliance',
      url: 'https://news.example.com/2025/03/alliance/',
      id: 'tag:news.example.com,2000:alliance',
      date: new Date('2025-03-13T23:30:00Z'),
      authors: [{ name: 'Newsroom' }],
      draft: false,
    });
  });

  it('keeps the derived id when title, date, body or folder change', () => {
    const a = validate(valid(), '2025/alliance.md').article!;
    const b = validate('---\ntitle: Renamed\ndate: 2026-01-01\n---\nOther body\n', 'world/moved/alliance.md').article!;
    expect(b.id).toBe(a.id);
    expect(b.url).not.toBe(a.url);
  });

  it('turns a plain id into a URI and keeps a URI id as is', () => {
    expect(validate(valid('id: alliance-2025\n')).article!.id).toBe('tag:news.example.com,2000:alliance-2025');
    expect(validate(valid('id: urn:uuid:4a7c4f5e-1d2b-4c3a-9e8f-0a1b2c3d4e5f\n')).article!.id).toBe('urn:uuid:4a7c4f5e-1d2b-4c3a-9e8f-0a1b2c3d4e5f');
  });

  it('keeps a non-ASCII id as written, never percent-encoded', () => {
    expect(validate(valid('id: tag:news.example.com,2026:café-日本\n')).article!.id).toBe('tag:news.example.com,2026:café-日本');
    expect(validate(valid('id: café\n')).article!.id).toBe('tag:news.example.com,2000:café');
  });

  it.each([
    ['id: story 123', 5, 'contains a space'],
    ['id: "tag:news.example.com,2026:a b"', 5, 'contains a space'],
    ['id: "<b>scoop</b>"', 5, 'contains "<", which an IRI cannot carry'],
    ['id:\n  urn:x:{a}', 3, 'contains "{", which an IRI cannot carry'],
    ['id: "urn:x:50%"', 5, 'has "%"'],
    ['id: tag:news.example.com:scoop', 5, 'is not a tag URI as RFC 4151 defines it'],
  ])('refuses %j at the id, without prefixing or publishing it', (line, column, problem) => {
    const { article, diagnostics } = validate(valid(`${line}\n`));
    expect(article).toBeUndefined();
    expect(diagnostics).toMatchObject([{ code: 'invalid-id', severity: 'error', file: 'content/2025/alliance.md', field: 'id', line: line.includes('\n') ? 5 : 4, column }]);
    expect(diagnostics[0]!.message).toContain(problem);
  });

  it('points at the line and column of an invalid date', () => {
    const { diagnostics } = validate('---\ntitle: A\ndate: 2025-02-30\n---\n');
    expect(diagnostics).toMatchObject([{ code: 'invalid-date', file: 'content/2025/alliance.md', line: 3, column: 7, field: 'date' }]);
    expect(diagnostics[0]!.message).toMatch(/not a real date/);
  });

  it.each([
    ['date:', /empty/],
    ['date: null', /empty/],
    ['date: 20250301', /expected a date, got number/],
    ['date: [2025]', /expected a date/],
  ])('refuses %s', (line, message) => {
    const { diagnostics } = validate(`---\ntitle: A\n${line}\n---\n`);
    expect(diagnostics[0]).toMatchObject({ code: 'invalid-date', line: 3 });
    expect(diagnostics[0]!.message).toMatch(message);
  });

  it('reports a missing title at the top of the block', () => {
    const { diagnostics } = validate('---\ndate: 2025-01-01\n---\n');
    expect(diagnostics).toMatchObject([{ code: 'missing-field', field: 'title', line: 2 }]);
  });

  it('refuses unknown fields with a did-you-mean hint', () => {
    const { diagnostics } = validate('---\ntitel: A\ndate: 2025-01-01\n---\n');
    expect(diagnostics).toContainEqual(expect.objectContaining({ code: 'unknown-field', field: 'titel', line: 2, column: 1, hint: 'did you mean "title"?' }));
    expect(diagnostics).toContainEqual(expect.objectContaining({ code: 'missing-field', field: 'title' }));
  });

  it('refuses draft as a string rather than reading it as truthy', () => {
    for (const value of ['"false"', 'yes', 'no', '0']) {
      const { diagnostics, article } = validate(valid(`draft: ${value}\n`));
      expect(article).toBeUndefined();
      expect(diagnostics[0]).toMatchObject({ field: 'draft', line: 4, column: 8 });
    }
    expect(validate(valid('draft: false\n')).article!.draft).toBe(false);
  });

  it('warns about updated before date and publishes the article as never updated', () => {
    const { article, diagnostics } = validate(valid('updated: 2025-03-01\n'));
    expect(diagnostics).toMatchObject([{ code: 'updated-before-date', severity: 'warning', field: 'updated', line: 4, column: 10 }]);
    expect(diagnostics[0]!.message).toBe('2025-03-01T00:00:00.000Z is before date 2025-03-13T23:30:00.000Z, so it is ignored: the feeds date the last change at publication');
    expect(article).toBeDefined();
    expect(article!.updated).toBeUndefined();
    expect(validate(valid('updated: 2025-03-20\n')).article!.updated).toEqual(new Date('2025-03-20T00:00:00Z'));
  });

  it('reports every problem in a file, not only the first', () => {
    const { diagnostics } = validate('---\ntitle: ""\ndate: 2025-02-30\ntags: [ok, 3]\nauthor: {name: A, email: nope}\n---\n');
    expect(diagnostics.map((d) => d.field).sort()).toEqual(['author.email', 'date', 'tags[1]', 'title'].sort());
  });

  it('does not let YAML pollute prototypes', () => {
    const { diagnostics } = validate('---\ntitle: A\ndate: 2025-01-01\n__proto__: {polluted: true}\nconstructor: {prototype: {polluted: true}}\n---\n');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(diagnostics.map((d) => d.code)).toContain('unknown-field');
  });

  it('stops alias bombs quickly', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 20; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
    const started = performance.now();
    const { diagnostics } = validate(`---\ntitle: A\ndate: 2025-01-01\n${lines.join('\n')}\n---\n`);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(diagnostics[0]).toMatchObject({ code: 'yaml-aliases' });
  });

  it('never executes YAML tags: the file is refused at the tag', () => {
    (globalThis as Record<string, unknown>).__pwned = undefined;
    const { article, diagnostics } = validate('---\ntitle: !!js/function "function(){ globalThis.__pwned = true }"\ndate: 2025-01-01\n---\n');
    expect((globalThis as Record<string, unknown>).__pwned).toBeUndefined();
    expect(article).toBeUndefined();
    expect(diagnostics).toMatchObject([{ code: 'yaml-unknown-tag', file: 'content/2025/alliance.md', line: 2, column: 8 }]);
    expect(diagnostics[0]!.message).toContain('!!js/function');
    expect(diagnostics[0]!.hint).toMatch(/remove !!js\/function/);
  });

  it.each([
    ['author: !!python/object:os.system [ls]', 4, 9, '!!python/object:os.system'],
    ['summary: !foo x', 4, 10, '!foo'],
    ['tags: [a, !bar b]', 4, 11, '!bar'],
    ['image: !!binary aGk=', 4, 8, '!!binary'],
    ['updated: !!timestamp 2025-03-20', 4, 10, '!!timestamp'],
  ])('refuses the custom tag in %s', (line, lineNo, column, tag) => {
    const { article, diagnostics } = validate(valid(`${line}\n`));
    expect(article).toBeUndefined();
    expect(diagnostics).toMatchObject([{ code: 'yaml-unknown-tag', line: lineNo, column }]);
    expect(diagnostics[0]!.message).toContain(tag);
  });

  it('keeps the core schema\'s own tags', () => {
    expect(validate(valid('summary: !!str 2025\n')).article!.summary).toBe('2025');
  });

  it('reads the Hugo/Jekyll style: block lists and a nested author', () => {
    const { article, diagnostics } = validate(valid('tags:\n  - Asia\n  - Markets\nauthor:\n  name: Hana Sato\n  email: hana@example.com\n'));
    expect(diagnostics).toEqual([]);
    expect(article).toMatchObject({ tags: ['Asia', 'Markets'], authors: [{ name: 'Hana Sato', email: 'hana@example.com' }] });
  });

  it('refuses a language tag with the same rule and words as the config', () => {
    const { diagnostics } = validate(valid('lang: english!\n'));
    expect(diagnostics).toMatchObject([{ code: 'invalid-language', field: 'lang', line: 4, column: 7, message: 'is not a language tag', hint: 'use a BCP 47 tag such as en, en-GB or pt-BR' }]);
    expect(validate(valid('lang: pt-BR\n')).article!.lang).toBe('pt-BR');
  });

  it('refuses a lead image with a scheme other than http(s)', () => {
    const { diagnostics } = validate(valid('image: "javascript:alert(1)"\n'));
    expect(diagnostics).toMatchObject([{ code: 'invalid-url', field: 'image', line: 4 }]);
    expect(validate(valid('image: {src: lead.jpg, alt: A lead}\n')).article!.image).toEqual({ url: 'https://news.example.com/2025/03/alliance/lead.jpg', alt: 'A lead' });
  });

  it('accepts author as a name, a mapping, or a list', () => {
    expect(validate(valid('author: Hana Sato\n')).article!.authors).toEqual([{ name: 'Hana Sato' }]);
    expect(validate(valid('authors: [A, {name: B, url: "https://b.example/"}]\n')).article!.authors).toEqual([{ name: 'A' }, { name: 'B', url: 'https://b.example/' }]);
    expect(validate(valid('author: A\nauthors: [B]\n')).diagnostics[0]).toMatchObject({ code: 'conflicting-fields' });
  });

  it('reports YAML syntax errors with a position', () => {
    const { diagnostics } = validate('---\ntitle: A\ndate: 2025-01-01\ntitle: B\n---\n');
    expect(diagnostics[0]).toMatchObject({ code: 'yaml-syntax', line: 4 });
  });
});

describe('slugs and collisions', () => {
  it('makes slugs from file names', () => {
    expect(slugFromPath('2025/2025-03-14-US–Japan Alliance.md')).toBe('us-japan-alliance');
    expect(slugFromPath('world/alliance/index.md')).toBe('alliance');
    expect(slugFromPath('Café Crème.md')).toBe('cafe-creme');
  });

  it('fails both articles that share an id or a URL', () => {
    const a = validate(valid(), '2025/a/alliance.md').article!;
    const b = validate(valid(), '2025/b/alliance.md').article!;
    const diagnostics = findCollisions([a, b] as Article[]);
    expect(diagnostics.map((d) => `${d.code} ${d.file}`).sort()).toEqual([
      'duplicate-id content/2025/a/alliance.md',
      'duplicate-id content/2025/b/alliance.md',
      'duplicate-url content/2025/a/alliance.md',
      'duplicate-url content/2025/b/alliance.md',
    ]);
  });
});

describe('audio and video', () => {
  const audio = 'audio:\n  src: https://media.example.com/ep%201.mp3?a=1&b=2\n  type: audio/mpeg\n  length: 12345678\n  duration: 1520.5\n';
  it('become enclosures, audio first, with the type, length and duration the frontmatter gives', () => {
    const { article, diagnostics } = validate(valid(`video: {src: "https://media.example.com/clip.mp4", type: video/mp4, length: 99}\n${audio}`));
    expect(diagnostics).toEqual([]);
    expect(article!.enclosures).toEqual([
      { url: 'https://media.example.com/ep%201.mp3?a=1&b=2', type: 'audio/mpeg', length: 12345678, duration: 1520.5 },
      { url: 'https://media.example.com/clip.mp4', type: 'video/mp4', length: 99 },
    ]);
    expect(validate(valid()).article!.enclosures).toBeUndefined();
  });

  it.each([
    ['a URL without type and length', 'audio: https://media.example.com/ep1.mp3\n', 'audio', 4, 8, /needs its type and length/],
    ['a length missing', 'audio:\n  src: https://media.example.com/ep1.mp3\n  type: audio/mpeg\n', 'audio', 5, 3, /needs its length/],
    ['a path beside the article', 'audio:\n  src: media/ep1.mp3\n  type: audio/mpeg\n  length: 10\n', 'audio.src', 5, 8, /"media\/ep1.mp3" is not an http\(s\) URL/],
    ['a video type for audio', 'audio:\n  src: https://m.example.com/a.mp4\n  type: video/mp4\n  length: 10\n', 'audio.type', 6, 9, /"video\/mp4" is not an audio type/],
    ['a length of 0', 'audio:\n  src: https://m.example.com/a.mp3\n  type: audio/mpeg\n  length: 0\n', 'audio.length', 7, 11, /./],
    ['not a MIME type', 'video:\n  src: https://m.example.com/a.mp4\n  type: mp4\n  length: 10\n', 'video.type', 6, 9, /not a MIME type/],
  ])('%s is an error at its line and column, and the article is not published', (_, extra, field, line, column, message) => {
    const { article, diagnostics } = validate(valid(extra));
    expect(article).toBeUndefined();
    expect(diagnostics).toEqual([expect.objectContaining({ severity: 'error', file: 'content/2025/alliance.md', field, line, column, message: expect.stringMatching(message) })]);
  });
});

describe('media and image URLs', () => {
  it.each([
    ['https://m.example.com/ep[1].mp3?q={x}|y^z', 'https://m.example.com/ep%5B1%5D.mp3?q=%7Bx%7D%7Cy%5Ez'],
    ['https://m.example.com/100%/a%2Fb', 'https://m.example.com/100%25/a%2Fb'],
    ['https://user:pw@[::1]:8443/ép isode.mp3#t=1', 'https://user:pw@[::1]:8443/%C3%A9p%20isode.mp3#t=1'],
    ['https://m.example.com/plain.mp3', 'https://m.example.com/plain.mp3'],
  ])('%s is published as the URI %s', (src, uri) => {
    expect(asUri(new URL(src))).toBe(uri);
    const { article } = validate(valid(`audio: {src: "${src}", type: audio/mpeg, length: 10}\nimage: "${src}"\n`));
    expect(article!.enclosures![0]!.url).toBe(uri);
    expect(article!.image!.url).toBe(uri);
  });
});
