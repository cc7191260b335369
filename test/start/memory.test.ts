import { describe, expect, it } from 'vitest';
import type { BuildReport } from '../../src/build/build.js';
import type { BuildCache } from '../../src/incremental/cache.js';
import { createSiteMemory } from '../../src/start/memory.js';

const pinned = { cwd: '/site', contentDir: '/site/content', outDir: '/site/dist' };

function withCache() {
  const memory = createSiteMemory(pinned);
  let inMemoryOnly = 0;
  const cache = { inMemoryOnly: () => void inMemoryOnly++ } as unknown as BuildCache;
  memory.remember({ cache } as BuildReport);
  return { memory, cache, inMemoryOnly: () => inMemoryOnly };
}

describe('the site kept in memory between builds', () => {
  it('the first build looks at everything and keeps its cache in memory only (the publisher never writes it to disk)', () => {
    const memory = createSiteMemory(pinned);
    memory.changed('/site/content/a.md');
    expect(memory.optionsFor(['watch'])).toEqual(pinned); // no cache yet: a full build
    const { memory: m, cache, inMemoryOnly } = withCache();
    expect(inMemoryOnly()).toBe(1);
    m.remember({ cache } as BuildReport);
    expect(inMemoryOnly()).toBe(1);
    expect(m.withCache()).toEqual({ ...pinned, cache });
  });

  it('a build only the watcher asked for looks at the files it saw change, once', () => {
    const { memory, cache } = withCache();
    memory.optionsFor(['start']); // the changes before the cache existed are taken by the first build
    memory.changed('/site/content/a.md');
    memory.changed('/site/content/b.md');
    expect(memory.optionsFor(['watch'])).toEqual({ ...pinned, cache, changedPaths: ['/site/content/a.md', '/site/content/b.md'] });
    expect(memory.optionsFor(['watch'])).toEqual({ ...pinned, cache, changedPaths: [] });
  });

  it('any other trigger, an unnamed change or a failed build means looking at everything', () => {
    const { memory, cache } = withCache();
    memory.optionsFor(['start']);
    memory.changed('/site/content/a.md');
    expect(memory.optionsFor(['watch', 'cron'])).toEqual({ ...pinned, cache });
    memory.changed(undefined);
    memory.changed('/site/content/a.md');
    expect(memory.optionsFor(['watch'])).toEqual({ ...pinned, cache });
    memory.changed('/site/content/a.md');
    memory.forgetChanges();
    expect(memory.optionsFor(['watch'])).toEqual({ ...pinned, cache });
  });
});
