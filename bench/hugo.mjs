// Hugo side by side with feedpipe in bench/run.mjs: a Hugo site (bench/hugo/) over the bench
// corpus, cold builds of it, and a check that it built the feeds feedpipe builds.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const siteFiles = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hugo');
/** Bumped when the content copy changes: prepareHugoSite then copies the articles anew. */
const CONTENT_VERSION = '1';

/** Hugo's version line, or undefined when `hugo` is not on the PATH. */
export function hugoVersion() {
  const r = spawnSync('hugo', ['version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return /v(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1] ?? r.stdout.trim();
}

/**
 * Lays a Hugo site in `<corpus>/hugo`: the files of bench/hugo/ and a copy of the corpus's articles
 * in content/posts/ (one section, so the permalinks can be feedpipe's /{yyyy}/{mm}/{slug}/). The
 * copy only gives each `date:` seconds: Hugo 0.111 takes `2024-05-01T09:30` for no date (year 1),
 * which would put every future-dated article in the feeds and order them by title.
 */
export function prepareHugoSite(corpusDir) {
  const site = path.join(corpusDir, 'hugo');
  const marker = path.join(site, '.prepared');
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== CONTENT_VERSION) {
    rmSync(site, { recursive: true, force: true });
    copyContent(path.join(corpusDir, 'content'), path.join(site, 'content', 'posts'));
    writeFileSync(marker, CONTENT_VERSION);
  }
  // The config and templates are cheap to lay: always the current ones.
  rmSync(path.join(site, 'layouts'), { recursive: true, force: true });
  cpSync(siteFiles, site, { recursive: true });
  return site;
}

function copyContent(from, to) {
  for (const sub of readdirSync(from)) {
    mkdirSync(path.join(to, sub), { recursive: true });
    for (const name of readdirSync(path.join(from, sub))) {
      const text = readFileSync(path.join(from, sub, name), 'utf8');
      writeFileSync(path.join(to, sub, name), text.replace(/^date: (\d{4}-\d\d-\d\dT\d\d:\d\d)$/m, 'date: $1:00'));
    }
  }
}

const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** One cold Hugo build: a fresh destination and an empty cache folder. Wall time and, with /usr/bin/time, peak RSS. */
export function hugoCold(site) {
  const dest = path.join(site, 'public');
  const cache = path.join(site, 'cache');
  for (const d of [dest, cache, path.join(site, 'resources')]) rmSync(d, { recursive: true, force: true });
  const args = ['--source', site, '--destination', dest, '--cacheDir', cache, '--quiet'];
  const [cmd, argv] = timeBin ? [timeBin, ['-f', 'maxrss %M', 'hugo', ...args]] : ['hugo', args];
  const started = performance.now();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`hugo failed (${r.status}): ${r.stderr}`);
  const kib = /maxrss (\d+)/.exec(r.stderr)?.[1];
  return { ms, rssMiB: kib ? Number(kib) / 1024 : undefined };
}

/** Every feed.json under `dir`: its folder relative to `dir` and its items. */
function jsonFeeds(dir, sub = '') {
  const found = [];
  for (const e of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
    const rel = path.join(sub, e.name);
    // feedpipe's RFC 5005 archive pages: Hugo has none to compare them with.
    if (e.isDirectory() && e.name !== 'archive') found.push(...jsonFeeds(dir, rel));
    else if (e.name === 'feed.json') found.push({ folder: sub, items: JSON.parse(readFileSync(path.join(dir, rel), 'utf8')).items });
  }
  return found;
}

const countFiles = (dir, name) =>
  readdirSync(dir, { recursive: true }).filter((f) => path.basename(String(f)) === name).length;
const slugOf = (item) => item.url.replace(/\/$/, '').split('/').pop();

/**
 * One line comparing the feeds of Hugo's last build with feedpipe's dist/: how many feeds of each
 * format, how many items in all, whether each feed's item count has its match, and whether the
 * main feeds carry the same articles in the same order.
 */
export function compareFeeds(site, dist) {
  const hugoDir = path.join(site, 'public');
  const h = jsonFeeds(hugoDir);
  const f = jsonFeeds(dist);
  const sum = (feeds) => feeds.reduce((n, x) => n + x.items.length, 0);
  const counts = (feeds) => feeds.map((x) => x.items.length).sort((a, b) => a - b).join(',');
  const formats = ['feed.xml', 'atom.xml', 'feed.json'].map((n) => countFiles(hugoDir, n)).join('/');
  const mainH = h.find((x) => x.folder === '')?.items.map(slugOf) ?? [];
  const mainF = f.find((x) => x.folder === '')?.items.map(slugOf) ?? [];
  const sameMain = mainH.length === mainF.length && mainH.every((s, i) => s === mainF[i]);
  const problems = [];
  if (counts(h) !== counts(f)) problems.push('per-feed item counts DIFFER');
  if (!sameMain) problems.push('main feed articles DIFFER');
  return (
    `hugo check: ${h.length} feeds (rss/atom/json ${formats}), ${sum(h)} items; feedpipe ${f.length} feeds, ${sum(f)} items; ` +
    `main feed ${mainH.length} items${sameMain ? ', same articles in the same order' : ''}` +
    (problems.length ? ` — ${problems.join(', ')}` : ', per-feed counts match')
  );
}
