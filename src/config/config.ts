import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostics.js';
import { isValidTimeZone } from '../util/dates.js';
import { cronExpressionProblem, DEFAULT_CRON } from '../start/cron.js';
import { zodIssuesToDiagnostics } from '../util/validate.js';
import { parseYaml } from '../util/yaml.js';

export const DEFAULT_CONFIG_FILE = 'feedpipe.config.yaml';

const absoluteUrl = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { message: 'must be an absolute http(s) URL', params: { code: 'invalid-url', hint: 'write it like https://example.com/' } },
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
    description: z.string().default(''),
    language: z
      .string()
      .refine((v) => /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$/.test(v), { message: 'is not a language tag', params: { code: 'invalid-language', hint: 'use a BCP 47 tag such as en, en-GB or fr' } })
      .default('en'),
    timezone: z
      .string()
      .refine(isValidTimeZone, { message: 'is not an IANA timezone', params: { code: 'invalid-timezone', hint: 'use a name such as UTC, Europe/London or America/New_York' } })
      .default('UTC'),
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
  content: z.string().default('content'),
  output: z.string().default('dist'),
  permalink: z
    .string()
    .refine((p) => p.includes('{slug}'), { message: 'must contain {slug}', params: { code: 'invalid-permalink', hint: 'for example /{yyyy}/{mm}/{slug}/' } })
    .refine((p) => [...p.matchAll(/\{([^}]*)\}/g)].every((m) => PERMALINK_TOKENS.includes(m[1]!)), {
      message: `uses an unknown placeholder; known: ${PERMALINK_TOKENS.map((t) => `{${t}}`).join(' ')}`,
      params: { code: 'invalid-permalink' },
    })
    .default('/{yyyy}/{mm}/{slug}/'),
  feeds: z
    .strictObject({
      limit: z.number().int().min(1).max(10_000).default(50),
      sections: z.boolean().default(true),
      tags: z.boolean().default(true),
    })
    .default({ limit: 50, sections: true, tags: true }),
  limits: z
    .strictObject({ maxFileBytes: z.number().int().min(1024).default(5 * 1024 * 1024) })
    .default({ maxFileBytes: 5 * 1024 * 1024 }),
  /**
   * `feedpipe start`: when to rebuild, in the site's timezone. Articles fall
   * due on their own timer; the cron only picks up edits to content/.
   */
  schedule: z
    .strictObject({
      cron: z
        .string()
        .superRefine((v, ctx) => {
          const problem = cronExpressionProblem(v);
          if (problem) {
            ctx.addIssue({
              code: 'custom',
              message: `"${v}" is not a cron expression: ${problem}`,
              params: { code: 'invalid-cron', hint: 'write five fields, minute hour day-of-month month day-of-week, e.g. "*/15 * * * *" for every 15 minutes' },
            });
          }
        })
        .default(DEFAULT_CRON),
    })
    .default({ cron: DEFAULT_CRON }),
  /** `feedpipe serve` and `feedpipe start --serve`. */
  server: z
    .strictObject({
      port: z.number().int().min(0).max(65535).default(8080),
      host: z.string().min(1).default('127.0.0.1'),
      /** Cache-Control max-age of every response, in seconds. */
      maxAge: z.number().int().min(0).max(31_536_000).default(300),
    })
    .default({ port: 8080, host: '127.0.0.1', maxAge: 300 }),
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
        .default([]),
    })
    .default({ hubs: [] }),
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

export interface LoadedConfig {
  config?: Config;
  /** Folder relative paths in the config are resolved against. */
  baseDir: string;
  diagnostics: Diagnostic[];
}

export function validateConfig(input: unknown, file: string, locate = (_: readonly PropertyKey[]) => ({ line: 1, column: 1 })): { config?: Config; diagnostics: Diagnostic[] } {
  const result = configSchema.safeParse(input ?? {});
  if (result.success) return { config: result.data, diagnostics: [] };
  return { diagnostics: zodIssuesToDiagnostics(result.error, configSchema, input, { locate }, file) };
}

export async function loadConfig(configPath: string, displayPath = configPath): Promise<LoadedConfig> {
  const baseDir = path.dirname(path.resolve(configPath));
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      baseDir,
      diagnostics: [
        diagnostic({
          code: missing ? 'config-missing' : 'config-unreadable',
          file: displayPath,
          message: missing ? 'config file not found' : `cannot read the config file: ${(e as Error).message}`,
          hint: missing ? `create ${DEFAULT_CONFIG_FILE} (see README, "Config") or pass --config FILE` : 'check the path and its permissions',
        }),
      ],
    };
  }
  const yaml = parseYaml(text, displayPath);
  if (yaml.diagnostics.length) return { baseDir, diagnostics: yaml.diagnostics };
  return { baseDir, ...validateConfig(yaml.value, displayPath, yaml.locate) };
}
