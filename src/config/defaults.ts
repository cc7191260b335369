/**
 * Every default of the config, written once: the schema fills omitted keys from here, and
 * whatever needs to know a default (the cron check, docs, tests) reads it from here too.
 */

/** The config file read when no --config is given, in the current folder. */
export const DEFAULT_CONFIG_FILE = 'feedpipe.config.yaml';

/** Every 15 minutes: often enough for edits, cheap for an unchanged site (nothing is rewritten). */
export const DEFAULT_CRON = '*/15 * * * *';

/** Items in an RFC 5005 archive page, unless feeds.limit is smaller (see the config schema's feeds). */
export const ARCHIVE_PAGE_SIZE = 100;

export const configDefaults = {
  site: { description: '', language: 'en', timezone: 'UTC' },
  content: 'content',
  output: 'dist',
  permalink: '/{yyyy}/{mm}/{slug}/',
  // archivePageSize: 100 items a page, or feeds.limit where that is smaller (feedsConfig says why).
  feeds: { limit: 50, sections: true, tags: true, authors: true, archives: true, archivePageSize: 50, keepEmptyDays: 30 },
  limits: { maxFileBytes: 5 * 1024 * 1024 },
  // Per article, in a worker thread: seconds of rendering, and MiB of the worker's heap.
  render: { timeout: 2, maxMemoryMb: 1024 },
  schedule: { cron: DEFAULT_CRON },
  server: { port: 8080, host: '127.0.0.1', maxAge: 300 },
  /** `timeout`: seconds `feedpipe build` waits for all hubs together, and `start` for each ping. */
  websub: { hubs: [] as string[], timeout: 5 },
} as const;
