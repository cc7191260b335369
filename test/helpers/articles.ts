/**
 * Articles and a Config made in memory, for unit tests of the publish stage:
 * no files, no build. Every call returns fresh objects.
 */
import { configSchema, type Config, type ConfigInput } from '../../src/config/config.js';
import { slugify, type Article } from '../../src/content/schema.js';
import type { FeedContent, RenderedMap } from '../../src/publish/shared.js';
import { baseConfig } from './site.js';

/** A Config with its defaults filled in, as the schema makes it, from `input`; throws on an invalid one. */
export function makeConfig(input: ConfigInput = baseConfig): Config {
  return configSchema.parse(structuredClone(input));
}

export interface ArticleFields extends Partial<Omit<Article, 'date' | 'updated'>> {
  title: string;
  /** An instant, ISO 8601 with an offset. */
  date: string;
  updated?: string;
}

/** An article as validateArticle would make it, at https://news.example.com/<slug>/. */
export function makeArticle(fields: ArticleFields): Article {
  const { date, updated, ...rest } = fields;
  const slug = fields.slug ?? slugify(fields.title);
  const url = fields.url ?? `https://news.example.com/${slug}/`;
  return {
    source: { absPath: `/site/content/${slug}.md`, relPath: `${slug}.md`, displayPath: `content/${slug}.md`, frontmatter: '', frontmatterLine: 2, body: undefined, bodyLine: 4 },
    id: `tag:news.example.com,2026:${slug}`,
    slug,
    url,
    tags: [],
    authors: [],
    draft: false,
    ...rest,
    date: new Date(date),
    ...(updated ? { updated: new Date(updated) } : {}),
  };
}

/** What the render stage would give each article: a paragraph of its title, and its summary. */
export function renderedFor(articles: readonly Article[]): RenderedMap {
  return new Map<string, FeedContent>(articles.map((a) => [a.id, { html: `<p>${a.title}</p>`, summary: a.summary ?? `About ${a.title}` }]));
}

/** An article identified by `id` at the instant `date`, for tests of selection (slug from the id). */
export function fakeArticle(fields: Partial<Omit<Article, 'source' | 'date' | 'updated'>> & { id: string; date: Date; updated?: Date }): Article {
  const slug = fields.slug ?? fields.id.replace(/^.*:/, '');
  const { date, updated, ...rest } = fields;
  return makeArticle({ title: `Title of ${slug}`, slug, ...rest, date: date.toISOString(), ...(updated ? { updated: updated.toISOString() } : {}) });
}
