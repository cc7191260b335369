import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Timers } from '../../src/start/publisher.js';
import { isContentChange, watchSources, type WatchFunction } from '../../src/start/watch.js';

/** Timers driven by hand: `advance(ms)` fires what falls due. */
function manualTimers() {
  let now = 0;
  let next = 1;
  const armed = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout: (fn, ms) => (armed.set(next, { at: now + ms, fn }), next++),
    clearTimeout: (h) => void armed.delete(h as number),
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [h, t] of [...armed].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at > now) continue;
      armed.delete(h);
      t.fn();
    }
  };
  return { timers, advance, armed: () => armed.size };
}

/** A stand-in for fs.watch: records each watch and lets the test emit events on it. */
function fakeWatch(failOn?: string) {
  const watched: { target: string; recursive: boolean; emit: (name: string | null) => void; fail: (e: Error) => void; closed: boolean }[] = [];
  const watch: WatchFunction = (target, { recursive }, listener) => {
    if (target === failOn) throw new Error('ENOSPC: too many watchers');
    let onError: (e: Error) => void = () => undefined;
    const w = { target, recursive, emit: (name: string | null) => listener('change', name), fail: (e: Error) => onError(e), closed: false };
    watched.push(w);
    const handle = {
      on: (_: string, fn: (e: Error) => void) => ((onError = fn), handle),
      close: () => void (w.closed = true),
    };
    return handle as unknown as ReturnType<WatchFunction>;
  };
  return { watch, watched };
}

const root = path.resolve('/site');
const contentDir = path.join(root, 'content');

function setup(options: { outDir?: string; configFile?: string | undefined; failOn?: string } = {}) {
  const clock = manualTimers();
  const fake = fakeWatch(options.failOn);
  const changes: (string | undefined)[] = [];
  const warnings: string[] = [];
  let settled = 0;
  const stop = watchSources({
    contentDir,
    outDir: options.outDir ?? path.join(root, 'dist'),
    configFile: 'configFile' in options ? options.configFile : path.join(root, 'feedpipe.config.yaml'),
    cwd: root,
    debounceMs: 150,
    timers: clock.timers,
    onChange: (f) => changes.push(f),
    onSettled: () => settled++,
    warn: (human) => warnings.push(human),
    watch: fake.watch,
  });
  const content = fake.watched.find((w) => w.target === contentDir);
  const config = fake.watched.find((w) => w.target === root);
  return { ...clock, ...fake, changes, warnings, settled: () => settled, stop, content, config };
}

describe('watchSources', () => {
  it('watches the content folder recursively and the config file through its folder', () => {
    const w = setup();
    expect(w.watched.map((x) => [x.target, x.recursive])).toEqual([
      [contentDir, true],
      [root, false],
    ]);
    expect(setup({ configFile: undefined }).watched.map((x) => x.target)).toEqual([contentDir]);
  });

  it('asks for one build once events stop for the debounce, recording every changed file', () => {
    const w = setup();
    w.content!.emit('a.md');
    w.advance(100);
    w.content!.emit('b.md');
    w.advance(100);
    expect(w.settled()).toBe(0); // 200 ms of events, but never 150 ms of quiet
    w.advance(50);
    expect(w.settled()).toBe(1);
    expect(w.changes).toEqual([path.join(contentDir, 'a.md'), path.join(contentDir, 'b.md')]);
    w.advance(1000);
    expect(w.settled()).toBe(1);
  });

  it('ignores what the loader ignores: dot and underscore names, node_modules, the output folder inside content', () => {
    const w = setup({ outDir: path.join(contentDir, 'public') });
    for (const name of ['.a.md.swp', '_drafts/x.md', path.join('2026', '.#b.md'), path.join('node_modules', 'p', 'x.md'), 'public', path.join('public', 'feed.xml')]) w.content!.emit(name);
    w.advance(1000);
    expect(w.changes).toEqual([]);
    expect(w.settled()).toBe(0);
    w.content!.emit(path.join('2026', 'publicity.md'));
    w.advance(150);
    expect(w.changes).toEqual([path.join(contentDir, '2026', 'publicity.md')]);
    expect(w.settled()).toBe(1);
  });

  it('an event without a name, or on the config file, means "look at everything"; other files beside the config do not count', () => {
    const w = setup();
    w.config!.emit('README.md');
    w.advance(1000);
    expect(w.settled()).toBe(0);
    w.config!.emit('feedpipe.config.yaml');
    w.content!.emit(null);
    w.advance(150);
    expect(w.changes).toEqual([undefined, undefined]);
    expect(w.settled()).toBe(1);
  });

  it('stopping closes every watcher and drops a pending build', () => {
    const w = setup();
    w.content!.emit('a.md');
    w.stop();
    expect(w.watched.every((x) => x.closed)).toBe(true);
    expect(w.armed()).toBe(0);
    w.advance(1000);
    expect(w.settled()).toBe(0);
  });

  it('a folder that cannot be watched, or a watcher that fails, is a warning, not a stop', () => {
    const w = setup({ failOn: contentDir });
    expect(w.warnings).toEqual(['cannot watch content: ENOSPC: too many watchers; cron still rebuilds']);
    w.config!.fail(new Error('EPERM'));
    expect(w.warnings[1]).toBe(`stopped watching ${root}: EPERM`);
  });
});

describe('isContentChange', () => {
  it('treats an output folder outside the content as no concern of the content watcher', () => {
    const relevant = isContentChange(contentDir, path.join(root, 'dist'));
    expect(relevant('dist')).toBe(true);
    expect(relevant(path.join('a', 'b.md'))).toBe(true);
  });
});
