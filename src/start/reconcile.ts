/**
 * What a running publisher adjusts after each build to the config as it now
 * reads: the cron task follows `schedule.cron` and the timezone; a change of
 * content or output folder is only warned about (once), since the lock and the
 * watchers belong to the folders it started with.
 */
import path from 'node:path';
import type { Config } from '../config/config.js';
import { startCron, type CronHandle } from './cron.js';
import type { PublisherLog } from './log.js';

export interface ReconcilerOptions {
  /** Cron is on by default; tests that drive triggers themselves turn it off. */
  cron: boolean;
  onCronTick: () => void;
  log: PublisherLog;
  /** The config file the builds read, if they read one. */
  configFile: string | undefined;
  contentDir: string;
  outDir: string;
  /** Folders given on the command line: the config cannot move them. */
  pinned: { contentDir?: string | undefined; outDir?: string | undefined };
}

export interface Reconciler {
  /** Starts the cron task, or restarts it when the config's schedule or timezone changed. */
  keepCron(config: Config): void;
  /** After a build: the cron task, and the folder warning. */
  reconcile(config: Config): void;
  stop(): void;
}

export function createReconciler(options: ReconcilerOptions): Reconciler {
  const { log, configFile, contentDir, outDir, pinned } = options;
  let cron: CronHandle | undefined;
  let warnedDirs = false;
  const keepCron = (c: Config) => {
    if (!options.cron || (cron && cron.expression === c.schedule.cron && cron.timezone === c.site.timezone)) return;
    const was = cron;
    cron?.stop();
    cron = startCron(c.schedule.cron, c.site.timezone, options.onCronTick, { warn: (m) => log.warn(m) });
    if (was) log.say('cron', `rebuilding on "${c.schedule.cron}" (${c.site.timezone}) from now on`, { cron: c.schedule.cron, timezone: c.site.timezone });
  };
  const warnIfFoldersMoved = (c: Config) => {
    if (!configFile || warnedDirs) return;
    const base = path.dirname(configFile);
    const moved = (!pinned.outDir && path.resolve(base, c.output) !== outDir) || (!pinned.contentDir && path.resolve(base, c.content) !== contentDir);
    if (!moved) return;
    warnedDirs = true;
    log.warn(
      'the config now names another content or output folder; this publisher keeps the folders it started with — restart it to switch',
      'content or output folder changed in the config; restart to switch',
    );
  };
  return {
    keepCron,
    reconcile: (c) => {
      keepCron(c);
      warnIfFoldersMoved(c);
    },
    stop: () => cron?.stop(),
  };
}
