import type { RenderedArticle } from '../content/render.js';

export const GENERATOR = 'feedpipe';

/** What a feed carries of one article: the rendered body, its summary and absolute lead image URL. */
export interface FeedContent extends Omit<RenderedArticle, 'diagnostics'> {
  image?: string;
}

/** Rendered articles by id: only those some feed carries are rendered. */
export type RenderedMap = Map<string, FeedContent>;
