import { unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../src/cli/main.js';
import { LOCK_FILE } from '../../src/start/lock.js';
import type { StopOutcome } from '../../src/start/start.js';
import { launch } from '../helpers/publisher.js';
import { makeSite } from '../helpers/site.js';

describe('how the publisher stopped, and the exit code the CLI makes of it', () => {
  it('README: 0 after a clean stop on SIGINT or SIGTERM, 1 for anything else', () => {
    const cases: Array<[StopOutcome, number]> = [
      [{ stopped: 'signal' }, 0],
      [{ stopped: 'lock-lost' }, 1],
      [{ failed: 'config', message: 'the config has errors' }, 1],
      [{ failed: 'lock', message: 'locked by feedpipe start' }, 1],
      [{ failed: 'serve', message: 'cannot serve: listen EADDRINUSE' }, 1],
    ];
    for (const [outcome, code] of cases) expect(exitCodeOf(outcome), JSON.stringify(outcome)).toBe(code);
  });

  it("the stop event tells log readers the same exit code the CLI exits with", async () => {
    for (const loseLock of [false, true]) {
      const s = await makeSite({});
      await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: T\n  url: https://t.example/\n');
      const p = launch(s.root, { logFormat: 'json', lockRefreshMs: 50 });
      await p.until(() => p.out.stdout.includes('"event":"run"'));
      if (loseLock) await unlink(path.join(s.outDir, LOCK_FILE));
      const outcome = loseLock ? await p.done : await p.stop();
      expect(outcome).toEqual({ stopped: loseLock ? 'lock-lost' : 'signal' });
      const stop = p.out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; exitCode?: number }).find((e) => e.event === 'stop');
      expect(stop?.exitCode).toBe(exitCodeOf(outcome));
    }
  });
});
