/**
 * Every diagnostic code feedpipe emits, once: the default hint (what to do)
 * and the README section where the user reads about it. A call site that
 * knows more (the suggested field name, the value it saw) gives its own hint;
 * the catalogue's is the fallback. Codes are stable: users grep for them and
 * scripts match them in `--log-format json`, so an entry is renamed never,
 * only added. test/diagnostics/catalogue.test.ts checks that every code in
 * src/ has an entry here, that every entry is emitted, and that every anchor
 * is a heading of README.md.
 */
import type { Severity } from './diagnostics.js';

export interface CatalogueEntry {
  /** Lowercase, one sentence, no trailing period: printed as `    hint: …` under the message. */
  readonly hint: string;
  /** Heading anchor in README.md, e.g. `#config`. */
  readonly docs: `#${string}`;
  /** When the call site says nothing; only warnings need saying. */
  readonly severity?: Severity;
  /**
   * What the diagnostic is about when not a place in a file: a folder (no line to point at) or the
   * whole run (no file). Every other diagnostic that names a file has a line and column, `1:1`
   * when the whole file is at fault (diagnostic() fills that in).
   */
  readonly about?: 'folder' | 'run';
  /**
   * An error that costs one article, not the build: the file yields no article (or, found while
   * rendering, the build runs again without it), so select never sees it, and the rest is published.
   */
  readonly withholds?: true;
}

export const CATALOGUE = {
  // Finding and reading content files (content/find.ts, build/load.ts, build/work.ts).
  'content-unreadable': { hint: 'check that the content folder exists (--content DIR)', docs: '#content-format', about: 'folder' },
  'symlink-skipped': { hint: 'copy the file into the content folder instead of linking it', docs: '#content-format', severity: 'warning' },
  'file-unreadable': { hint: 'check the file permissions', docs: '#content-format' },
  'file-too-large': { hint: 'split the article, or raise limits.maxFileBytes in the config', docs: '#config' },
  'binary-file': { hint: 'remove the file from the content folder, or rename it so it does not end in .md', docs: '#content-format' },
  'invalid-utf8': { hint: 'save the file as UTF-8', docs: '#content-format' },
  'parse-failed': { hint: 'simplify the file; if it looks valid, report it as a feedpipe bug', docs: '#content-format' },
  'changed-during-build': { hint: 'nothing was published; the next build picks up the new version', docs: '#output' },

  // The frontmatter block and its YAML (content/split.ts, util/yaml.ts, content/schema.ts).
  'missing-frontmatter': { hint: 'start the file with ---, then title: and date:, then ---', docs: '#content-format' },
  'unclosed-frontmatter': { hint: 'add a line containing only --- after the last frontmatter field', docs: '#content-format' },
  'frontmatter-language': { hint: 'start the file with a line containing only ---', docs: '#content-format' },
  'invalid-frontmatter': { hint: 'write one "field: value" per line', docs: '#content-format' },
  'yaml-unknown-tag': { hint: 'remove the tag; if the ! belongs to the text, put the whole value in quotes', docs: '#content-format' },
  'yaml-warning': { hint: 'rewrite the value as plain YAML 1.2; feedpipe treats every YAML warning as an error', docs: '#content-format' },
  'yaml-syntax': { hint: 'fix the YAML syntax; quote values that contain ": " or start with a special character', docs: '#content-format' },
  'yaml-aliases': { hint: 'remove the YAML aliases (*name); write the values out', docs: '#content-format' },

  // Any field of the frontmatter or the config, as zod reports it (util/validate.ts).
  'unknown-field': { hint: 'remove the field, or correct its name', docs: '#content-format' },
  'missing-field': { hint: 'add the field; it is required', docs: '#content-format' },
  'invalid-type': { hint: 'write a value of the type the message names', docs: '#content-format' },
  'invalid-field': { hint: 'correct the value; the README lists what each field accepts', docs: '#content-format' },

  // Fields of an article (content/schema.ts).
  'invalid-date': { hint: 'write a date like 2025-03-01, a local time like 2025-03-01T09:30, or an instant like 2025-03-01T09:30:00Z', docs: '#content-format' },
  'updated-before-date': { hint: 'updated is when the article last changed, so not before its date; correct it or remove it', docs: '#content-format', severity: 'warning' },
  // build/select.ts, over select's visible articles.
  'updated-in-future': { hint: 'set updated to when the article last changed, or remove it', docs: '#content-format' },
  'invalid-slug': { hint: 'for example: us-japan-alliance', docs: '#content-format' },
  'invalid-id': { hint: 'use a plain word such as alliance-2024, or a URI such as urn:uuid:…', docs: '#content-format' },
  'conflicting-fields': { hint: 'keep only one of the two fields', docs: '#content-format' },
  'duplicate-id': { hint: 'give each article its own id', docs: '#content-format' },
  'duplicate-url': { hint: 'give one of them another slug', docs: '#content-format' },
  'invalid-enclosure': { hint: 'give the file as { src: https://…, type: audio/… or video/…, length: BYTES }', docs: '#content-format' },
  'id-changed': { hint: 'to keep the id readers know, add it to the frontmatter as the message says', docs: '#content-format', severity: 'warning' },

  // The Markdown body (content/render.ts, build/work.ts).
  'raw-html-removed': { hint: 'write it in Markdown', docs: '#content-format', severity: 'warning' },
  'unsafe-url-removed': { hint: 'use an http(s) URL or a path relative to the article', docs: '#content-format', severity: 'warning' },
  'nesting-too-deep': { hint: 'flatten the structure; no feed reader shows that depth', docs: '#rendering-limits', withholds: true },
  'markdown-too-complex': { hint: 'simplify the Markdown at that line', docs: '#rendering-limits', withholds: true },
  'render-timeout': { hint: 'simplify or split the article, or raise render.timeout in the config', docs: '#rendering-limits', withholds: true },
  'render-memory': { hint: 'simplify or split the article, or raise render.maxMemoryMb in the config', docs: '#rendering-limits', withholds: true },
  'render-failed': { hint: 'simplify the Markdown; if it looks valid, report it as a feedpipe bug', docs: '#content-format' },

  // The config file (config/config.ts); invalid-url also for an article's image.
  'config-missing': { hint: 'create feedpipe.config.yaml (see README, "Config") or pass --config FILE', docs: '#config' },
  'config-unreadable': { hint: 'check the path and its permissions', docs: '#config' },
  'invalid-url': { hint: 'write it like https://example.com/', docs: '#config' },
  'invalid-language': { hint: 'use a BCP 47 tag such as en, en-GB or fr', docs: '#config' },
  'invalid-timezone': { hint: 'use a name such as UTC, Europe/London or America/New_York', docs: '#config' },
  'invalid-permalink': { hint: 'for example /{yyyy}/{mm}/{slug}/', docs: '#config' },
  'invalid-archive-page-size': { hint: 'make feeds.archivePageSize at most feeds.limit', docs: '#archives' },
  'invalid-cron': { hint: 'write five fields, minute hour day-of-month month day-of-week, e.g. "*/15 * * * *" for every 15 minutes', docs: '#config' },

  // Making and writing the output (publish/verify.ts, build/write.ts, build/run.ts, start/start.ts).
  'output-invalid': { hint: 'nothing was written; this is a feedpipe bug, please report it with the article that triggers it', docs: '#output' },
  'write-failed': { hint: 'check that the output folder is writable and the disk has space', docs: '#output', about: 'folder' },
  'build-aborted': { hint: 'the published feeds are unchanged', docs: '#publishing-on-time-feedpipe-start', about: 'run' },
} as const satisfies Record<string, CatalogueEntry>;

export type DiagnosticCode = keyof typeof CATALOGUE;

/** True for an error that withholds one article instead of stopping the build (see CatalogueEntry). */
export function withholds(code: DiagnosticCode): boolean {
  return (CATALOGUE[code] as CatalogueEntry).withholds === true;
}

export function isDiagnosticCode(code: string): code is DiagnosticCode {
  return Object.prototype.hasOwnProperty.call(CATALOGUE, code);
}

/** Where the user reads about `code`: `README.md#content-format`. */
export function docsFor(code: DiagnosticCode): string {
  return `README.md${CATALOGUE[code].docs}`;
}
