/**
 * The compiled build (lib/) for tests whose worker threads must run compiled code, with the
 * worker pools they open closed after each test. `npm test` compiles lib/ first.
 */
import { existsSync } from 'node:fs';
import { afterEach, beforeAll, expect } from 'vitest';

export type CompiledBuild = typeof import('../../src/build/build.js') & typeof import('../../src/incremental/cache.js');

/** Registers the hooks; `lib()` is the compiled build once the tests run, `pools` the pools to close. */
export function useCompiledBuild(): { lib: () => CompiledBuild; pools: { close(): Promise<void> }[] } {
  let lib: CompiledBuild | undefined;
  const pools: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    const url = (rel: string) => new URL(`../../lib/${rel}`, import.meta.url);
    expect(existsSync(url('build/build.js')), 'lib/ is missing: run `npm test` (it compiles lib/ first)').toBe(true);
    lib = { ...(await import(url('build/build.js').href)), ...(await import(url('incremental/cache.js').href)) } as CompiledBuild;
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close()));
  });
  return { lib: () => lib!, pools };
}
