import path from 'node:path';
import * as z from 'zod';
import type { Config } from '../config/config.js';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostics.js';
import { zodIssuesToDiagnostics } from '../util/validate.js';
import { isLanguageTag, languageTagIssue } from '../util/language-tag.js';
import { parseYaml, type ParsedYaml } from '../util/yaml.js';
import { parseDate, zonedParts } from '../util/dates.js';
import { resolveId } from './id.js';
import { parseFrontmatter, type SourceFile } from './split.js';

const SLUG = /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/;

function dateField(timeZone: string) {
  return z.unknown().transform((value, ctx) => {
    if (typeof value !== 'string') {
      ctx.addIssue({
        code: 'custom',
        message: value === null || value === undefined ? 'is empty: a date is required' : `expected a date, got ${typeof value} ${JSON.stringify(value)}`,
        params: { code: 'invalid-date', hint: 'write a date like 2025-03-01 or 2025-03-01T09:30:00+01:00' },
      });
      return z.NEVER;
    }
    const result = parseDate(value, timeZone);
    if (!result.ok) {
      ctx.addIssue({ code: 'custom', message: result.message, params: { code: 'invalid-date', hint: result.hint } });
      return z.NEVER;
    }
    return result.date;
  });
}

const plainText = z.string().trim().min(1, { message: 'must not be empty' });

const personMapping = z.strictObject({
  name: plainText,
  email: z.email({ message: 'is not an email address' }).optional(),
  url: z.url({ protocol: /^https?$/, message: 'must be an absolute http(s) URL' }).optional(),
});

const person = z.union([plainText.transform((name) => ({ name })), personMapping], { error: 'must be a name, or a mapping with name and optional email and url' });

/** A media file published with the article (audio:, video:): its URL, or the URL with its MIME type, length in bytes and duration in seconds. */
const enclosure = z.union(
  [
    plainText.transform((src) => ({ src })),
    z.strictObject({
      src: plainText,
      type: z.string().regex(/^[a-z]+\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i, { message: 'is not a MIME type such as audio/mpeg' }).optional(),
      length: z.number({ error: 'must be the file size in bytes, a whole number' }).int().min(1).optional(),
      duration: z.number({ error: 'must be seconds, a number' }).min(0).optional(),
    }),
  ],
  { error: 'must be a URL, or a mapping with src, type, length and duration' },
);

/**
 * The one schema of an article's frontmatter; the Article type derives from it.
 * Built per site because dates without an offset are read in the site's zone.
 */
export function frontmatterSchema(timeZone: string) {
  return z
    .strictObject({
      title: plainText,
      date: dateField(timeZone),
      updated: dateField(timeZone).optional(),
      id: plainText.optional(),
      slug: z.string().refine((v) => SLUG.test(v), { message: 'must be lowercase letters, digits and single hyphens', params: { code: 'invalid-slug' } }).optional(),
      summary: plainText.optional(),
      section: plainText.optional(),
      tags: z.array(plainText).optional(),
      author: person.optional(),
      authors: z.array(person).min(1).optional(),
      draft: z.boolean({ error: 'must be true or false, without quotes' }).optional(),
      image: z
        .union([plainText.transform((src) => ({ src, alt: '' })), z.strictObject({ src: plainText, alt: z.string().default('') })], {
          error: 'must be a path or URL, or a mapping with src and alt',
        })
        .optional(),
      lang: z.string().refine(isLanguageTag, languageTagIssue).optional(),
      audio: enclosure.optional(),
      video: enclosure.optional(),
    })
    .superRefine((fm, ctx) => {
      if (fm.author && fm.authors) {
        ctx.addIssue({ code: 'custom', path: ['authors'], message: 'give either author or authors, not both', params: { code: 'conflicting-fields' } });
      }
    });
}

export type Frontmatter = z.output<ReturnType<typeof frontmatterSchema>>;

// Building a zod schema costs far more than using one: one per timezone, not one per article.
const schemas = new Map<string, ReturnType<typeof frontmatterSchema>>();
function schemaFor(timeZone: string) {
  let schema = schemas.get(timeZone);
  if (!schema) schemas.set(timeZone, (schema = frontmatterSchema(timeZone)));
  return schema;
}
export type Person = z.output<typeof personMapping>;

/**
 * A validated article: the frontmatter fields the schema outputs as they are, and in place of
 * the others what is derived from them, the config and the file's location.
 */
export interface Article extends Pick<Frontmatter, 'title' | 'date' | 'updated' | 'summary' | 'section' | 'lang'> {
  source: SourceFile;
  id: string;
  slug: string;
  url: string;
  tags: NonNullable<Frontmatter['tags']>;
  authors: Person[];
  draft: NonNullable<Frontmatter['draft']>;
  /** Lead image, absolute URL. */
  image?: { url: string; alt: NonNullable<Frontmatter['image']>['alt'] };
  /** Media files published with it (audio first, then video): RSS carries the first, Atom and JSON Feed all. */
  enclosures?: Enclosure[];
}

export interface Enclosure {
  url: string;
  type: string;
  length: number;
  duration?: number;
}

/**
 * An article's audio: and video: as enclosures. A remote file needs its type and length in the
 * frontmatter (a build never fetches anything); podcast clients refuse a length of 0.
 */
function enclosuresOf(fm: Frontmatter, locate: (path: string[]) => { line: number; column: number }, file: string): { enclosures: Enclosure[]; diagnostics: Diagnostic[] } {
  const enclosures: Enclosure[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const field of ['audio', 'video'] as const) {
    const e = fm[field];
    if (!e) continue;
    const given = e as { src: string; type?: string; length?: number; duration?: number };
    const where = (key?: string) => ({ file, ...locate(key ? [field, key] : [field]), field: key ? `${field}.${key}` : field });
    let url: URL | undefined;
    try {
      url = new URL(given.src);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      diagnostics.push(diagnostic({ code: 'invalid-enclosure', ...where('type' in given || 'length' in given ? 'src' : undefined), message: `"${given.src}" is not an http(s) URL: a media file must be given by the address it is served from`, hint: `write ${field}: { src: https://…/file, type: ${field}/…, length: BYTES } (files beside the article are not published by feedpipe)` }));
      continue;
    }
    if (given.type === undefined || given.length === undefined) {
      const missing = [given.type === undefined ? 'type' : '', given.length === undefined ? 'length' : ''].filter(Boolean).join(' and ');
      diagnostics.push(diagnostic({ code: 'invalid-enclosure', ...where(), message: `a remote ${field} file needs its ${missing}: a build fetches nothing, and podcast apps refuse an enclosure without its size`, hint: `write ${field}: { src: ${given.src}, type: ${field}/…, length: BYTES }` }));
      continue;
    }
    if (!given.type.toLowerCase().startsWith(`${field}/`)) {
      diagnostics.push(diagnostic({ code: 'invalid-enclosure', ...where('type'), message: `"${given.type}" is not an ${field} type`, hint: `give a ${field}/… type, or put the file under ${field === 'audio' ? 'video' : 'audio'}:` }));
      continue;
    }
    enclosures.push({ url: asUri(url), type: given.type, length: given.length, ...(given.duration !== undefined ? { duration: given.duration } : {}) });
  }
  return { enclosures, diagnostics };
}

/** Slug from the file name: `2024-05-01-alliance.md` and `alliance/index.md` both give `alliance`. */
export function slugFromPath(relPath: string): string {
  const parsed = path.posix.parse(relPath);
  const base = parsed.name === 'index' && parsed.dir ? path.posix.basename(parsed.dir) : parsed.name;
  return slugify(base.replace(/^\d{4}-\d{2}-\d{2}-/, ''));
}

/** What slugify leaves as it is: most file names already are slugs. */
const ALREADY_SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export function slugify(text: string): string {
  if (ALREADY_SLUG.test(text)) return text;
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export function defaultIdPrefix(config: Config): string {
  return config.site.idPrefix ?? `tag:${hostnameOf(config.site.url)},2000:`;
}

/** Per site URL, not per article: a URL parse costs about a microsecond. */
const hostnames = new Map<string, string>();
function hostnameOf(url: string): string {
  let host = hostnames.get(url);
  if (host === undefined) {
    host = new URL(url).hostname;
    if (hostnames.size < 64) hostnames.set(url, host);
  }
  return host;
}

type PermalinkVar = 'slug' | 'yyyy' | 'mm' | 'dd' | 'section';
/** A permalink cut once into its literal text and its placeholders (odd indexes); an unknown placeholder stands for nothing. */
const permalinks = new Map<string, string[]>();
function permalinkParts(permalink: string): string[] {
  let parts = permalinks.get(permalink);
  if (!parts) {
    parts = permalink.split(/\{(\w+)\}/);
    if (permalinks.size < 64) permalinks.set(permalink, parts);
  }
  return parts;
}

/** A section's URL segment: a few sections, thousands of articles. */
const sectionSlugs = new Map<string, string>();
function sectionSlug(section: string | undefined): string {
  if (!section) return 'articles';
  let slug = sectionSlugs.get(section);
  if (slug === undefined) {
    slug = slugify(section) || 'section';
    if (sectionSlugs.size < 4096) sectionSlugs.set(section, slug);
  }
  return slug;
}

export function articleUrl(config: Config, slug: string, date: Date, section: string | undefined): string {
  const vars: Partial<Record<PermalinkVar, string>> = { ...zonedParts(date, config.site.timezone), slug, section: sectionSlug(section) };
  const parts = permalinkParts(config.permalink);
  let rel = '';
  for (let i = 0; i < parts.length; i++) rel += i % 2 ? (vars[parts[i] as PermalinkVar] ?? '') : parts[i];
  return resolveUrl(rel.replace(/^\/+/, ''), config.site.url);
}

/** Bases that the URL parser leaves as they are (checked once each). */
const canonicalBases = new Map<string, boolean>();

/**
 * `new URL(rel, base).toString()`, without parsing a URL per article when it cannot differ from
 * `base + rel`: a canonical base ending in `/` and a path of plain segments (letters, digits,
 * `-._~`; never `.` or `..`), which the parser neither encodes nor resolves. A differential test
 * holds the two equal.
 */
export function resolveUrl(rel: string, base: string): string {
  let canonical = canonicalBases.get(base);
  if (canonical === undefined) {
    canonical = base.endsWith('/') && new URL(base).toString() === base;
    if (canonicalBases.size < 64) canonicalBases.set(base, canonical);
  }
  if (canonical && PLAIN_PATH.test(rel)) return base + rel;
  return new URL(rel, base).toString();
}

const PLAIN_PATH = /^(?:(?!\.\.?(?:\/|$))[A-Za-z0-9\-_.~]+\/)*(?:(?!\.\.?$)[A-Za-z0-9\-_.~]+)?$/;

/** A lead image's absolute URL against the article's, if that is an http(s) URL. */
function leadImageUrl(src: string, articleUrl: string): string | undefined {
  let resolved: URL;
  try {
    resolved = new URL(src, articleUrl);
  } catch {
    return undefined;
  }
  return resolved.protocol === 'http:' || resolved.protocol === 'https:' ? asUri(resolved) : undefined;
}

/**
 * An http(s) URL as an RFC 3986 URI, which feeds require (JSON Feed's schema checks it). The URL
 * standard's serialisation leaves `[ ] | ^ { } \` and a `%` that starts no escape in a path,
 * query or fragment: each is percent-encoded (what comes before the path is left as parsed).
 */
export function asUri(url: URL): string {
  const text = url.toString();
  const userinfo = url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  const head = `${url.protocol}//${userinfo}${url.host}`;
  if (!text.startsWith(head)) return text;
  const rest = text
    .slice(head.length)
    .replace(/%(?![0-9A-Fa-f]{2})/g, '%25')
    .replace(/[^A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return head + rest;
}

export function validateArticle(source: SourceFile, config: Config): { article?: Article; diagnostics: Diagnostic[] } {
  const file = source.displayPath;
  const schema = schemaFor(config.site.timezone);
  // Most frontmatter takes the fast path; the full parser (positions, every YAML
  // feature, every error) runs when it does not, or when validation fails.
  const parsed = source.parsed ?? parseFrontmatter(source.frontmatter, file, source.frontmatterLine - 1);
  let yaml: ParsedYaml | undefined = parsed.yaml;
  const full = () => (yaml ??= parseYaml(source.frontmatter, file, source.frontmatterLine - 1));
  let input: unknown = yaml ? undefined : parsed.value;
  let result = input === undefined ? undefined : schema.safeParse(input);
  if (!result?.success) {
    const parsed = full();
    if (parsed.diagnostics.length) return { diagnostics: parsed.diagnostics };
    input = parsed.value ?? {};
    if (typeof input !== 'object' || Array.isArray(input)) {
      return { diagnostics: [diagnostic({ code: 'invalid-frontmatter', file, line: source.frontmatterLine, column: 1, message: 'frontmatter must be a mapping of fields' })] };
    }
    result = schema.safeParse(input);
    if (!result.success) return { diagnostics: zodIssuesToDiagnostics(result.error, schema, input, parsed, file) };
  }
  const fm = result.data;
  const slug = fm.slug ?? slugFromPath(source.relPath);
  const diagnostics: Diagnostic[] = [];
  if (!slug) {
    diagnostics.push(diagnostic({ code: 'invalid-slug', file, line: source.frontmatterLine, column: 1, field: 'slug', message: 'no slug can be made from the file name', hint: 'add slug: to the frontmatter' }));
    return { diagnostics };
  }
  const url = articleUrl(config, slug, fm.date, fm.section);
  const resolved = fm.id === undefined ? { id: defaultIdPrefix(config) + slug } : resolveId(fm.id, defaultIdPrefix(config));
  if ('problem' in resolved) {
    diagnostics.push(diagnostic({ code: 'invalid-id', file, ...full().locate(['id']), field: 'id', message: `"${fm.id}" ${resolved.problem}` }));
    return { diagnostics };
  }
  const { id } = resolved;
  const imageUrl = fm.image && leadImageUrl(fm.image.src, url);
  if (fm.image && !imageUrl) {
    const where = full().locate(typeof (input as { image?: unknown }).image === 'string' ? ['image'] : ['image', 'src']);
    diagnostics.push(diagnostic({ code: 'invalid-url', file, ...where, field: 'image', message: `"${fm.image.src}" is not an http(s) URL or a relative path`, hint: 'use a path relative to the article, such as images/lead.jpg, or an https:// URL' }));
    return { diagnostics };
  }
  const image: Article['image'] = fm.image && imageUrl ? { url: imageUrl, alt: fm.image.alt } : undefined;
  const media = fm.audio || fm.video ? enclosuresOf(fm, (path) => full().locate(path), file) : undefined;
  if (media?.diagnostics.length) return { diagnostics: media.diagnostics };
  // A last change before publication is a typo, not a reason to hold the article back: it is
  // published as never updated (an entry's updated before its published would mean nothing).
  const updated = fm.updated && fm.updated.getTime() < fm.date.getTime() ? undefined : fm.updated;
  if (fm.updated && !updated) {
    const message = `${fm.updated.toISOString()} is before date ${fm.date.toISOString()}, so it is ignored: the feeds date the last change at publication`;
    diagnostics.push(diagnostic({ code: 'updated-before-date', file, ...full().locate(['updated']), field: 'updated', message }));
  }
  const authors = fm.authors ?? (fm.author ? [fm.author] : config.site.author ? [config.site.author] : []);
  // The parse is spent: an Article kept in memory should not hold a YAML document.
  const { parsed: _spent, ...kept } = source;
  const article: Article = {
    source: kept,
    title: fm.title,
    date: fm.date,
    id,
    slug,
    url,
    tags: [...new Set(fm.tags ?? [])],
    authors,
    draft: fm.draft ?? false,
    ...(updated ? { updated } : {}),
    ...(fm.summary ? { summary: fm.summary } : {}),
    ...(fm.section ? { section: fm.section } : {}),
    ...(image ? { image } : {}),
    ...(fm.lang ? { lang: fm.lang } : {}),
    ...(media?.enclosures.length ? { enclosures: media.enclosures } : {}),
  };
  return { article, diagnostics };
}

/** Two articles with one id or one URL would replace each other in readers: both files get an error. */
export function findCollisions(articles: readonly Article[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const key of ['id', 'url'] as const) {
    const seen = new Map<string, Article>();
    for (const a of articles) {
      const first = seen.get(a[key]);
      if (!first) {
        seen.set(a[key], a);
        continue;
      }
      for (const [self, other] of [[a, first], [first, a]] as const) {
        out.push(
          diagnostic({
            code: `duplicate-${key}`,
            file: self.source.displayPath,
            line: self.source.frontmatterLine,
            column: 1,
            field: key === 'id' ? 'id' : 'slug',
            message: `${key} ${self[key]} is also used by ${other.source.displayPath}`,
            hint: key === 'id' ? 'give each article its own id' : 'give one of them another slug',
          }),
        );
      }
    }
  }
  return out;
}
