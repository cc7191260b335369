import { mkdir, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Timers } from '../../src/start/publisher.js';
import { watchRules, watchSources, type FolderWatchOptions, type WatchFunction } from '../../src/start/watch.js';
import { makeSite } from '../helpers/site.js';
import { manualTimers } from '../helpers/timers.js';

interface Watched {
  folder: string;
  options: FolderWatchOptions;
  /** An event as chokidar gives it; like chokidar, nothing for a path its `ignored` rejects. */
  emit: (event: string, file: string) => void;
  fail: (e: Error) => void;
  closed: boolean;
}

/** A stand-in for chokidar: records each watch and lets the test emit events on it (or none: a watcher that drops them all). */
function fakeWatch(failOn?: string) {
  const watched: Watched[] = [];
  const watch: WatchFunction = (folder, options) => {
    if (folder === failOn) throw new Error('ENOSPC: too many watchers');
    const all: ((event: string, file: string) => void)[] = [];
    const errors: ((e: unknown) => void)[] = [];
    const w: Watched = {
      folder,
      options,
      emit: (event, file) => void (options.ignored(file) || all.forEach((fn) => fn(event, file))),
      fail: (e) => errors.forEach((fn) => fn(e)),
      closed: false,
    };
    watched.push(w);
    return {
      on: (event: 'all' | 'error', fn: never) => void (event === 'all' ? all : errors).push(fn),
      close: async () => void (w.closed = true),
    };
  };
  return { watch, watched };
}

const root = path.resolve('/site');
const contentDir = path.join(root, 'content');

function setup(options: { root?: string; outDir?: string; configFile?: string | undefined; failOn?: string; scanEveryMs?: number; watch?: WatchFunction } = {}) {
  const site = options.root ?? root;
  const content = path.join(site, 'content');
  const clock = manualTimers();
  const fake = fakeWatch(options.failOn);
  const changes: (string | undefined)[] = [];
  const warnings: string[] = [];
  let settled = 0;
  const stop = watchSources({
    contentDir: content,
    outDir: options.outDir ?? path.join(site, 'dist'),
    configFile: 'configFile' in options ? options.configFile : path.join(site, 'feedpipe.config.yaml'),
    cwd: site,
    debounceMs: 150,
    timers: clock.timers,
    onChange: (f) => changes.push(f),
    onSettled: () => settled++,
    warn: (human) => warnings.push(human),
    watch: options.watch ?? fake.watch,
    scanEveryMs: options.scanEveryMs ?? 0,
  });
  return { ...clock, ...fake, changes, warnings, settled: () => settled, stop, content: fake.watched.find((w) => w.folder === content), config: fake.watched.find((w) => w.folder === site) };
}

const asFile = { isDirectory: () => false } as Stats;
const asFolder = { isDirectory: () => true } as Stats;

describe('watchSources', () => {
  it('watches the content folder at every depth, and the config file through its folder alone', () => {
    const w = setup();
    expect(w.watched.map((x) => [x.folder, x.options.depth])).toEqual([
      [contentDir, undefined],
      [root, 0],
    ]);
    const config = w.config!.options.ignored;
    expect([root, path.join(root, 'feedpipe.config.yaml')].map((f) => config(f))).toEqual([false, false]);
    expect([path.join(root, 'README.md'), contentDir].map((f) => config(f))).toEqual([true, true]);
    expect(setup({ configFile: undefined }).watched.map((x) => x.folder)).toEqual([contentDir]);
  });

  it('asks for one build once events stop for the debounce, recording every changed file', () => {
    const w = setup();
    w.content!.emit('change', path.join(contentDir, 'a.md'));
    w.advance(100);
    w.content!.emit('add', path.join(contentDir, '2026', 'b.md'));
    w.advance(100);
    expect(w.settled()).toBe(0); // 200 ms of events, but never 150 ms of quiet
    w.advance(50);
    expect(w.settled()).toBe(1);
    expect(w.changes).toEqual([path.join(contentDir, 'a.md'), path.join(contentDir, '2026', 'b.md')]);
    w.advance(1000);
    expect(w.settled()).toBe(1);
  });

  it('reports a folder added or removed (the build then looks at everything), and no file that is not content', () => {
    const w = setup();
    w.content!.emit('unlinkDir', path.join(contentDir, 'old'));
    w.content!.emit('addDir', path.join(contentDir, 'new'));
    w.content!.emit('change', path.join(contentDir, 'images', 'photo.jpg'));
    w.content!.emit('unlink', path.join(contentDir, 'notes.txt'));
    expect(w.changes).toEqual([path.join(contentDir, 'old'), path.join(contentDir, 'new')]);
  });

  it('a change to the config file means "look at everything"; other files beside it do not count', () => {
    const w = setup();
    w.config!.emit('change', path.join(root, 'README.md'));
    w.advance(1000);
    expect(w.settled()).toBe(0);
    w.config!.emit('change', path.join(root, 'feedpipe.config.yaml'));
    w.config!.emit('unlink', path.join(root, 'feedpipe.config.yaml'));
    w.advance(150);
    expect(w.changes).toEqual([undefined, undefined]);
    expect(w.settled()).toBe(1);
  });

  it('stopping closes every watcher and drops a pending build and the scan', () => {
    const w = setup({ scanEveryMs: 3000 });
    w.content!.emit('change', path.join(contentDir, 'a.md'));
    w.stop();
    expect(w.watched.every((x) => x.closed)).toBe(true);
    expect(w.armed()).toBe(0);
    w.advance(10_000);
    expect(w.settled()).toBe(0);
  });

  it('a folder that cannot be watched, or a watcher that fails, is a warning (once per message), not a stop', () => {
    const w = setup({ failOn: contentDir });
    expect(w.warnings).toEqual(['cannot watch content: ENOSPC: too many watchers; the scan every few seconds still finds changes']);
    const full = (file: string) => Object.assign(new Error(`ENOSPC: System limit for number of file watchers reached, watch '${file}'`), { code: 'ENOSPC' });
    w.config!.fail(full('/site/a'));
    w.config!.fail(full('/site/b'));
    w.config!.fail(new Error('EPERM'));
    expect(w.warnings.slice(1)).toEqual([
      `watching ${root}: ENOSPC: System limit for number of file watchers reached, watch '/site/a'; the scan every few seconds still finds changes`,
      `watching ${root}: EPERM; the scan every few seconds still finds changes`,
    ]);
  });
});

describe('watchRules', () => {
  it('ignores what the loader ignores: dot and underscore names, node_modules, and the output folder inside the content, which is never watched', () => {
    const { ignored, isContent } = watchRules(contentDir, path.join(contentDir, 'public'));
    const under = (rel: string) => path.join(contentDir, rel);
    for (const rel of ['.a.md.swp', '.git', '_drafts', '_drafts/x.md', '2026/.#b.md', 'node_modules', 'node_modules/p/x.md', 'public', 'public/feed.xml', 'public/x.md']) {
      expect(ignored(under(rel)), rel).toBe(true);
      expect(isContent(under(rel)), rel).toBe(false);
    }
    expect(ignored(path.join(root, 'elsewhere.md'))).toBe(true);
    for (const rel of ['', '2026', 'publicity', '2026/publicity.md', 'a.md']) expect(ignored(under(rel)), rel).toBe(false);
    expect(isContent(under('2026/publicity.md'))).toBe(true);
    // Only Markdown files are content; a folder is watched whatever its name.
    expect(ignored(under('photo.jpg'), asFile)).toBe(true);
    expect(ignored(under('photo.jpg'), asFolder)).toBe(false);
    expect(ignored(under('a.md'), asFile)).toBe(false);
    expect(isContent(under('2026'))).toBe(false);
  });

  it('treats an output folder outside the content as no concern of the content watcher', () => {
    const { ignored } = watchRules(contentDir, path.join(root, 'dist'));
    expect(ignored(path.join(contentDir, 'dist'))).toBe(false);
    expect(ignored(path.join(contentDir, 'a', 'b.md'))).toBe(false);
  });
});

describe('the scan behind the watcher', () => {
  async function scannedSite() {
    const s = await makeSite({ 'a.md': 'first', 'c.md': 'same size', '2026/b.md': 'b', '_drafts/d.md': 'draft' });
    await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site: {}\n');
    await utimes(path.join(s.contentDir, 'c.md'), 1_700_000_000, 1_700_000_000);
    // A watcher that drops every event: only the scan can see anything.
    const w = setup({ root: s.root, scanEveryMs: 3000 });
    return { ...w, at: (rel: string) => path.join(s.contentDir, rel), root: s.root };
  }

  it('finds every change a watcher dropped within one period: an edit, a file renamed over with the same size and mtime, a deletion, a new folder, the config', async () => {
    const w = await scannedSite();
    w.advance(3000);
    expect(w.changes).toEqual([]); // nothing changed since the start

    await writeFile(w.at('a.md'), 'edited in place');
    w.advance(2999);
    expect(w.changes).toEqual([]);
    w.advance(1);
    expect(w.changes).toEqual([w.at('a.md')]);
    w.advance(150);
    expect(w.settled()).toBe(1);

    // Renamed over, the same size, and the old mtime put back (rsync -t, cp -p): the inode and ctime tell.
    const before = await stat(w.at('c.md'));
    await writeFile(w.at('c.tmp'), 'same SIZE');
    await utimes(w.at('c.tmp'), 1_700_000_000, 1_700_000_000);
    await rename(w.at('c.tmp'), w.at('c.md'));
    const after = await stat(w.at('c.md'));
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
    await rm(w.at('2026/b.md'));
    await mkdir(w.at('new/deeper'), { recursive: true });
    await writeFile(w.at('new/deeper/e.md'), 'e');
    await writeFile(w.at('_drafts/d.md'), 'still a draft'); // not content
    await writeFile(w.at('.f.md'), 'hidden'); // not content
    w.changes.length = 0;
    w.advance(3000);
    expect(w.changes.sort()).toEqual([w.at('2026/b.md'), w.at('c.md'), w.at('new/deeper/e.md')]);

    await writeFile(path.join(w.root, 'feedpipe.config.yaml'), 'site: { title: T }\n');
    w.changes.length = 0;
    w.advance(3000);
    expect(w.changes).toEqual([undefined]);
    w.advance(150);
    expect(w.settled()).toBe(3);

    w.advance(30_000);
    expect(w.settled()).toBe(3); // and nothing more while nothing changes
    w.stop();
  });

  it('does not report again what the watcher reported (the build that followed read it)', async () => {
    const w = await scannedSite();
    await writeFile(w.at('a.md'), 'edited');
    w.content!.emit('change', w.at('a.md'));
    w.advance(150);
    expect(w.settled()).toBe(1);
    w.advance(10_000);
    expect(w.changes).toEqual([w.at('a.md')]);
    expect(w.settled()).toBe(1);
    // A folder reported by the watcher: the scan takes everything as seen again.
    await rename(w.at('2026'), w.at('2027'));
    w.content!.emit('unlinkDir', w.at('2026'));
    w.content!.emit('addDir', w.at('2027'));
    w.advance(10_000);
    expect(w.changes).toEqual([w.at('a.md'), w.at('2026'), w.at('2027')]);
    expect(w.settled()).toBe(2);
    w.stop();
  });
});

describe('watchSources with chokidar (the scan off: the events alone)', () => {
  const realTimers: Timers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };

  it('sees a file renamed over again and again, then written in place, then deleted; through a symbolic link to the content folder', async () => {
    const s = await makeSite({ '2026/story.md': 'v0' });
    const linked = path.join(s.root, 'linked');
    await symlink(s.contentDir, linked);
    const changes: (string | undefined)[] = [];
    let settled = 0;
    const stop = watchSources({
      contentDir: linked,
      outDir: path.join(s.root, 'dist'),
      configFile: undefined,
      cwd: s.root,
      debounceMs: 50,
      timers: realTimers,
      onChange: (f) => changes.push(f),
      onSettled: () => settled++,
      warn: (human) => changes.push(`warning: ${human}`),
      scanEveryMs: 0,
    });
    const file = path.join(s.contentDir, '2026', 'story.md');
    const seen = path.join(linked, '2026', 'story.md');
    const until = async (what: () => boolean) => {
      for (const end = Date.now() + 2000; !what(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() > end) throw new Error(`not seen: ${JSON.stringify(changes)}`);
    };
    try {
      await new Promise((r) => setTimeout(r, 300)); // chokidar's first look at the folder
      for (let i = 1; i <= 5; i++) {
        const n = settled;
        await writeFile(path.join(s.contentDir, '2026', 'sedAb12'), `v${i}`);
        await rename(path.join(s.contentDir, '2026', 'sedAb12'), file);
        await until(() => settled > n);
      }
      for (const step of [() => writeFile(file, 'in place'), () => rm(file)]) {
        changes.length = 0;
        await step();
        await until(() => changes.includes(seen));
      }
      expect(changes.filter((c) => c !== seen)).toEqual([]);
    } finally {
      stop();
    }
  });
});
