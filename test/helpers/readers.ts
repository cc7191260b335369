/**
 * Feed readers we did not write, as a person's app reads an RSS feed: what title and author
 * each shows for each item (by guid).
 * - rss-parser and feedsmith: npm packages (devDependencies), always here;
 * - newsboat: a terminal feed reader, a Debian package (.ci/run installs it). It is run for real
 *   (`newsboat -x reload` on a file:// URL, in a folder of its own) and what it stored, which is
 *   what it shows, is read from its cache database with Python's sqlite3. Without it, on a machine
 *   with only Node, its checks skip with one line; with CI set, its absence fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseRssFeed } from 'feedsmith';
import Parser from 'rss-parser';

/** What a reader shows of one item. */
export interface Shown {
  title: string | undefined;
  author: string | undefined;
}

/** rss-parser's reading of an RSS document, by guid. */
export async function rssParserItems(xml: string): Promise<Map<string, Shown>> {
  const feed = await new Parser().parseString(xml);
  return new Map(feed.items.map((i) => [String(i.guid), { title: i.title, author: i.creator }]));
}

/** feedsmith's reading of an RSS document, by guid. */
export function feedsmithItems(xml: string): Map<string, Shown> {
  const feed = parseRssFeed(xml);
  return new Map((feed.items ?? []).map((i) => [String(i.guid?.value), { title: i.title, author: i.dc?.creators?.join(', ') }]));
}

const SQL = `import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(json.dumps([[g, t, a] for g, t, a in c.execute('select guid, title, author from rss_item')]))`;

/** Undefined when newsboat (and Python, to read its cache) are here; else the one line saying how to get it. */
export function newsboatMissing(): string | undefined {
  const ok = spawnSync('newsboat', ['--version']).status === 0 && spawnSync('/usr/bin/python3', ['-c', 'import sqlite3']).status === 0;
  if (ok) return undefined;
  const line = 'newsboat checks skipped: newsboat is not installed (Debian: sudo apt-get install newsboat; .ci/run installs it)';
  if (process.env.CI) throw new Error(line);
  return line;
}

/** newsboat's reading of an RSS document, by guid: it fetches it as a subscription and stores each item as it shows it. */
export function newsboatItems(xml: string): Map<string, Shown> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'feedpipe-newsboat-'));
  try {
    const feed = path.join(dir, 'feed.xml');
    writeFileSync(feed, xml);
    writeFileSync(path.join(dir, 'urls'), `file://${feed}\n`);
    const cache = path.join(dir, 'cache.db');
    const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_DATA_HOME: path.join(dir, 'data') };
    const reload = spawnSync('newsboat', ['-u', path.join(dir, 'urls'), '-c', cache, '-x', 'reload'], { env, encoding: 'utf8', timeout: 30_000 });
    if (reload.status !== 0) throw new Error(`newsboat failed (${reload.status}): ${reload.stderr}`);
    const read = spawnSync('/usr/bin/python3', ['-c', SQL, cache], { encoding: 'utf8' });
    if (read.status !== 0) throw new Error(`reading newsboat's cache failed: ${read.stderr}`);
    const rows = JSON.parse(read.stdout) as [string, string, string][];
    return new Map(rows.map(([guid, title, author]) => [guid, { title, author: author || undefined }]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
