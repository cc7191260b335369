import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { createPublisherLog } from '../../src/start/log.js';
import { createReconciler, type ReconcilerOptions } from '../../src/start/reconcile.js';

const root = path.resolve('/site');
const config = (cron: string, timezone = 'UTC', dirs = { content: 'content', output: 'dist' }) => ({ schedule: { cron }, site: { timezone }, ...dirs }) as unknown as Config;

function setup(overrides: Partial<ReconcilerOptions> = {}) {
  let said = '';
  const log = createPublisherLog({ stdout: () => undefined, stderr: (t) => (said += t) }, { format: 'human', clock: { now: () => 0 } });
  const r = createReconciler({
    cron: true,
    onCronTick: () => undefined,
    log,
    configFile: path.join(root, 'feedpipe.config.yaml'),
    contentDir: path.join(root, 'content'),
    outDir: path.join(root, 'dist'),
    pinned: {},
    ...overrides,
  });
  return { r, said: () => said };
}

describe('reconciling a running publisher with the config as it now reads', () => {
  it('starts the cron quietly, says so when the schedule or timezone changes, and not when nothing did', () => {
    const { r, said } = setup();
    try {
      r.keepCron(config('*/15 * * * *'));
      r.reconcile(config('*/15 * * * *'));
      expect(said()).toBe('');
      r.reconcile(config('0 * * * *'));
      r.reconcile(config('0 * * * *', 'Europe/Paris'));
      expect(said()).toBe('feedpipe: rebuilding on "0 * * * *" (UTC) from now on\nfeedpipe: rebuilding on "0 * * * *" (Europe/Paris) from now on\n');
    } finally {
      r.stop();
    }
  });

  it('with cron off, starts none', () => {
    const { r, said } = setup({ cron: false });
    r.keepCron(config('*/15 * * * *'));
    r.reconcile(config('0 * * * *'));
    expect(said()).toBe('');
  });

  it('warns once when the config moves the content or output folder, unless the command line pinned it', () => {
    const moved = config('*/15 * * * *', 'UTC', { content: 'content', output: 'public' });
    const { r, said } = setup({ cron: false });
    r.reconcile(config('*/15 * * * *'));
    expect(said()).toBe('');
    r.reconcile(moved);
    r.reconcile(config('*/15 * * * *', 'UTC', { content: 'posts', output: 'dist' }));
    expect(said()).toBe('feedpipe: the config now names another content or output folder; this publisher keeps the folders it started with — restart it to switch\n');
    const pinned = setup({ cron: false, pinned: { outDir: 'dist' } });
    pinned.r.reconcile(moved);
    expect(pinned.said()).toBe('');
    const noFile = setup({ cron: false, configFile: undefined });
    noFile.r.reconcile(moved);
    expect(noFile.said()).toBe('');
  });
});
