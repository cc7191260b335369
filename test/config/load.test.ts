import { describe, expect, it } from 'vitest';
import { configDefaults, configSchema, validateConfig } from '../../src/config/config.js';
import { formatDiagnostics } from '../../src/diagnostics/diagnostics.js';
import { parseYaml } from '../../src/util/yaml.js';

const FILE = 'site/feedpipe.config.yaml';

/** Validates config text as loadConfig does after reading the file. */
async function check(text: string) {
  const yaml = parseYaml(text, FILE);
  expect(yaml.diagnostics).toEqual([]);
  return validateConfig(yaml.value, FILE, yaml.locate);
}

const site = 'site:\n  title: T\n  url: https://t.example.com/\n';

describe('config errors speak of the config file', () => {
  it('an unknown key: its place, did-you-mean, and the keys accepted there', async () => {
    const { config, diagnostics } = await check(`${site}feeds:\n  limt: 20\n`);
    expect(config).toBeUndefined();
    expect(diagnostics).toEqual([
      expect.objectContaining({ code: 'unknown-field', file: FILE, line: 5, column: 3, field: 'feeds.limt', message: 'unknown key "limt" under feeds; accepted keys: limit, sections, tags, authors, archives, archivePageSize, keepEmptyDays', hint: `did you mean "limit"? Rename the key in ${FILE}` }),
    ]);
  });

  it('a value of the wrong type: the key, the accepted type and range, never "the frontmatter"', async () => {
    const { diagnostics } = await check(`${site}feeds:\n  limit: "20"\n`);
    expect(diagnostics).toEqual([
      expect.objectContaining({ code: 'invalid-type', file: FILE, line: 5, column: 10, field: 'feeds.limit', message: 'must be a whole number from 1 to 10000, got the text "20"', hint: `in ${FILE}, set feeds.limit to a whole number from 1 to 10000` }),
    ]);
    expect(JSON.stringify(diagnostics)).not.toMatch(/frontmatter/);
  });

  it('a number out of range: the bounds', async () => {
    const { diagnostics } = await check(`${site}server:\n  port: 70000\n`);
    expect(diagnostics).toMatchObject([{ code: 'invalid-field', line: 5, column: 9, field: 'server.port', message: 'must be a whole number from 0 to 65535, got number 70000', hint: `in ${FILE}, set server.port to a whole number from 0 to 65535` }]);
  });

  it('an invalid timezone: the zone names accepted, in the config file', async () => {
    const { diagnostics } = await check(`${site}  timezone: Europe/Londn\n`);
    expect(diagnostics).toMatchObject([{ code: 'invalid-timezone', line: 4, column: 13, field: 'site.timezone', message: 'is not an IANA timezone' }]);
    expect(diagnostics[0]!.hint).toBe(`use a name such as UTC, Europe/London or America/New_York; this is site.timezone in ${FILE}`);
  });

  it('an invalid cron expression at its line and column', async () => {
    const { diagnostics } = await check(`${site}schedule:\n  cron: "0 25 * * *"\n`);
    expect(diagnostics).toMatchObject([{ code: 'invalid-cron', file: FILE, line: 5, column: 9, field: 'schedule.cron' }]);
    expect(diagnostics[0]!.hint).toContain(`schedule.cron in ${FILE}`);
  });

  it('a missing site.title: where to add it in the config file', async () => {
    const { diagnostics } = await check('site:\n  url: https://t.example.com/\n');
    expect(diagnostics).toMatchObject([{ code: 'missing-field', file: FILE, line: 2, column: 3, field: 'site.title', message: 'is required: non-empty text', hint: `add title: under site: to ${FILE}` }]);
  });

  it('an enum-like boolean and a list say what they accept', async () => {
    const { diagnostics } = await check(`${site}feeds:\n  tags: yes\nwebsub:\n  hubs: https://hub.example/\n`);
    expect(formatDiagnostics(diagnostics)).toContain(`${FILE}:5:9  error  feeds.tags: must be true or false (without quotes), got the text "yes"  (invalid-type)`);
    expect(diagnostics.find((d) => d.field === 'websub.hubs')?.message).toBe('must be a list of text, got the text "https://hub.example/"');
  });

  it('an archive page larger than the feed: its place, why, and the largest size that works', async () => {
    const { diagnostics } = await check(`${site}feeds:\n  limit: 20\n  archivePageSize: 100\n`);
    expect(diagnostics).toEqual([
      expect.objectContaining({
        code: 'invalid-archive-page-size',
        file: FILE,
        line: 6,
        column: 20,
        field: 'feeds.archivePageSize',
        message: "is 100, more than feeds.limit (20): the articles older than the feed's newest 20 and newer than the last full archive page would be in no file",
      }),
    ]);
    expect(diagnostics[0]!.hint).toContain('set feeds.archivePageSize to at most 20, or raise feeds.limit');
  });

  it('a config object passed to build() has no file to name', async () => {
    const { diagnostics } = await validateConfig({ site: { title: 'T', url: 'https://t.example.com/' }, feeds: { limit: 0 } }, '<config>');
    expect(diagnostics).toMatchObject([{ field: 'feeds.limit', hint: 'in the config, set feeds.limit to a whole number from 1 to 10000' }]);
  });
});

describe('defaults', () => {
  it('are the schema\'s: an empty section gets each default once written', () => {
    const config = configSchema.parse({ site: { title: 'T', url: 'https://t.example.com' } });
    expect(config.feeds).toEqual(configDefaults.feeds);
    expect(config.feeds.limit).toBe(50);
    // Archive pages: 100 items, or feeds.limit where that is smaller.
    expect(config.feeds.archivePageSize).toBe(50);
    expect(configSchema.parse({ site: { title: 'T', url: 'https://t.example.com' }, feeds: { limit: 500 } }).feeds.archivePageSize).toBe(100);
    expect(configSchema.parse({ site: { title: 'T', url: 'https://t.example.com' }, feeds: { limit: 500, archivePageSize: 250 } }).feeds.archivePageSize).toBe(250);
    expect(configSchema.parse({ site: { title: 'T', url: 'https://t.example.com' }, feeds: {} }).feeds).toEqual(configDefaults.feeds);
    expect(config.server).toEqual(configDefaults.server);
    expect(config.schedule).toEqual(configDefaults.schedule);
    expect(config.site).toMatchObject(configDefaults.site);
  });

  it('are copies: changing one config does not change the next', () => {
    const a = configSchema.parse({ site: { title: 'T', url: 'https://t.example.com' } });
    a.feeds.limit = 3;
    a.websub.hubs.push('https://hub.example/');
    const b = configSchema.parse({ site: { title: 'T', url: 'https://t.example.com' } });
    expect(b.feeds.limit).toBe(50);
    expect(b.websub.hubs).toEqual([]);
  });

  it('refuses a language tag with the same rule and words as an article\'s lang', async () => {
    const { diagnostics } = await check(`${site}  language: english!\n`);
    expect(diagnostics).toMatchObject([{ code: 'invalid-language', field: 'site.language', line: 4, column: 13, message: 'is not a language tag' }]);
    expect(diagnostics[0]!.hint).toBe(`use a BCP 47 tag such as en, en-GB or pt-BR; this is site.language in ${FILE}`);
  });
});

describe('the config file read at every build', () => {
  it('is parsed once for the same bytes, each caller getting its own copy; an edit is read at the next load', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const { loadConfig } = await import('../../src/config/load.js');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'feedpipe-config-'));
    try {
      const file = path.join(dir, 'feedpipe.config.yaml');
      await writeFile(file, `${site}feeds:\n  limit: 20\n`);
      const first = await loadConfig(file);
      first.config!.feeds.limit = 1; // what one build does to its copy
      const second = await loadConfig(file);
      expect(second.config!.feeds.limit).toBe(20);
      expect(second.config).not.toBe(first.config);
      // Same length, other bytes: read as written.
      await writeFile(file, `${site}feeds:\n  limit: 30\n`);
      expect((await loadConfig(file)).config!.feeds.limit).toBe(30);
      await writeFile(file, `${site}feeds:\n  limt: 30\n`);
      expect((await loadConfig(file)).diagnostics.map((d) => d.code)).toEqual(['unknown-field']);
      // The same bytes shown under another name: its diagnostics name that one.
      expect((await loadConfig(file, 'other.yaml')).diagnostics[0]!.file).toBe('other.yaml');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
