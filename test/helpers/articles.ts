/** In-memory articles for unit tests that need no file and no build. */
import type { Article } from '../../src/content/schema.js';

export function fakeArticle(fields: Partial<Omit<Article, 'source'>> & { id: string; date: Date }): Article {
  const slug = fields.slug ?? fields.id.replace(/^.*:/, '');
  return {
    source: { absPath: `/site/content/${slug}.md`, relPath: `${slug}.md`, displayPath: `content/${slug}.md`, frontmatter: '', body: undefined, frontmatterLine: 2, bodyLine: 5 },
    title: fields.title ?? `Title of ${slug}`,
    updated: undefined,
    slug,
    url: `https://news.example.com/${slug}/`,
    summary: undefined,
    section: undefined,
    tags: [],
    authors: [],
    draft: false,
    image: undefined,
    lang: undefined,
    ...fields,
  } as Article;
}
