import * as z from 'zod';
import { isValidTimeZone } from '../util/dates.js';
import { isLanguageTag, languageTagIssue } from '../util/language-tag.js';
import { ARCHIVE_PAGE_SIZE, configDefaults } from './defaults.js';

const absoluteUrl = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { message: 'must be an absolute http(s) URL', params: { code: 'invalid-url' } },
);

const person = z.strictObject({
  name: z.string().min(1),
  email: z.email({ message: 'is not an email address' }).optional(),
  url: absoluteUrl.optional(),
});

const PERMALINK_TOKENS = ['slug', 'yyyy', 'mm', 'dd', 'section'];

export const configSchema = z.strictObject({
  site: z.strictObject({
    title: z.string().min(1),
    /** Where dist/ is served from; every link in every feed is absolute against it. */
    url: absoluteUrl.transform((v) => (v.endsWith('/') ? v : v + '/')),
    description: z.string().default(configDefaults.site.description),
    language: z
      .string()
      .refine(isLanguageTag, languageTagIssue)
      .default(configDefaults.site.language),
    timezone: z
      .string()
      .refine(isValidTimeZone, { message: 'is not an IANA timezone', params: { code: 'invalid-timezone' } })
      .default(configDefaults.site.timezone),
    author: person.optional(),
    copyright: z.string().optional(),
    icon: absoluteUrl.optional(),
    logo: absoluteUrl.optional(),
    /**
     * Prefix of derived item ids (articles without an `id`). Published ids must
     * never change, so neither may this once feeds are out.
     */
    idPrefix: z.string().refine((v) => /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(v), { message: 'must start with a URI scheme, e.g. tag:example.com,2024:' }).optional(),
  }),
  content: z.string().default(configDefaults.content),
  output: z.string().default(configDefaults.output),
  permalink: z
    .string()
    .refine((p) => p.includes('{slug}'), { message: 'must contain {slug}', params: { code: 'invalid-permalink' } })
    .refine((p) => [...p.matchAll(/\{([^}]*)\}/g)].every((m) => PERMALINK_TOKENS.includes(m[1]!)), {
      message: `uses an unknown placeholder; known: ${PERMALINK_TOKENS.map((t) => `{${t}}`).join(' ')}`,
      params: { code: 'invalid-permalink' },
    })
    .default(configDefaults.permalink),
  feeds: z
    .strictObject({
      limit: z.number().int().min(1).max(10_000).default(configDefaults.feeds.limit),
      sections: z.boolean().default(configDefaults.feeds.sections),
      tags: z.boolean().default(configDefaults.feeds.tags),
      authors: z.boolean().default(configDefaults.feeds.authors),
      /** RFC 5005 archived feeds: every feed's older items in stable pages (publish/archive.ts). */
      archives: z.boolean().default(configDefaults.feeds.archives),
      archivePageSize: z.number().int().min(1).max(10_000).optional(),
      /** Days (0.5: twelve hours) a feed whose last article went stays published with no items (publish/emptied.ts); 0: it goes at once. */
      keepEmptyDays: z.number().min(0).max(3650).default(configDefaults.feeds.keepEmptyDays),
    })
    // A page larger than the subscription document would leave the articles between the two in
    // no document at all (publish/archive.ts): at most feeds.limit, and 100 or feeds.limit by default.
    .superRefine((v, ctx) => {
      if (v.archives && v.archivePageSize !== undefined && v.archivePageSize > v.limit) {
        ctx.addIssue({
          code: 'custom',
          path: ['archivePageSize'],
          message: `is ${v.archivePageSize}, more than feeds.limit (${v.limit}): the articles older than the feed's newest ${v.limit} and newer than the last full archive page would be in no file`,
          params: { code: 'invalid-archive-page-size', hint: `set feeds.archivePageSize to at most ${v.limit}, or raise feeds.limit` },
        });
      }
    })
    .transform((v) => ({ ...v, archivePageSize: v.archivePageSize ?? Math.min(ARCHIVE_PAGE_SIZE, v.limit) }))
    .default(configDefaults.feeds),
  limits: z.strictObject({ maxFileBytes: z.number().int().min(1024).default(configDefaults.limits.maxFileBytes) }).default(configDefaults.limits),
  /**
   * Each article is rendered in a worker thread with a time budget and a heap cap: an article over
   * either is an error for that article alone (the worker is replaced, the rest is published).
   */
  render: z
    .strictObject({
      /** Seconds one article may take to render. */
      timeout: z.number().positive().max(3600).default(configDefaults.render.timeout),
      /** MiB of old-generation heap of each rendering worker (worker_threads resourceLimits). */
      maxMemoryMb: z.number().int().min(64).max(65_536).default(configDefaults.render.maxMemoryMb),
    })
    .default(configDefaults.render),
  /**
   * `feedpipe start`: when to rebuild, in the site's timezone. Articles fall
   * due on their own timer; the cron only picks up edits to content/. The
   * expression is checked against node-cron when the config is loaded (load.ts).
   */
  schedule: z.strictObject({ cron: z.string().default(configDefaults.schedule.cron) }).default(configDefaults.schedule),
  /** `feedpipe serve` and `feedpipe start --serve`. */
  server: z
    .strictObject({
      port: z.number().int().min(0).max(65535).default(configDefaults.server.port),
      host: z.string().min(1).default(configDefaults.server.host),
      /** Cache-Control max-age of every response, in seconds. */
      maxAge: z.number().int().min(0).max(31_536_000).default(configDefaults.server.maxAge),
    })
    .default(configDefaults.server),
  /** WebSub (https://www.w3.org/TR/websub/): hubs every feed advertises and that are pinged after a publish. */
  websub: z
    .strictObject({
      hubs: z
        .array(
          absoluteUrl.refine((v) => v.startsWith('https:') || isLoopbackUrl(v), {
            message: 'must be an https URL',
            params: { code: 'invalid-url', hint: 'a hub receives the feed URLs in clear text; use its https address' },
          }),
        )
        .default(() => [...configDefaults.websub.hubs]),
      /**
       * Seconds: how long `feedpipe build` waits for all hubs together before it warns
       * about those that did not answer and exits; how long `start` waits for each ping.
       */
      timeout: z.number().min(0.1).max(300).default(configDefaults.websub.timeout),
    })
    .default(() => ({ hubs: [...configDefaults.websub.hubs], timeout: configDefaults.websub.timeout })),
});

/** Plain http is accepted for hubs on this machine only (tests, a local hub). */
function isLoopbackUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' && (u.hostname === 'localhost' || u.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(u.hostname));
  } catch {
    return true; // not a URL at all: absoluteUrl already says so, once
  }
}

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
