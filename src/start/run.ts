/**
 * One publisher run: build (or write what was built ahead), compare the feeds
 * with the last run's, log the run line, adjust to the config as it now reads,
 * and announce what changed. Publisher (publisher.ts) decides when; this
 * decides nothing about what is public: the build does.
 */
import type { build, BuildReport } from '../build/build.js';
import type { Config } from '../config/config.js';
import type { PublisherLog } from './log.js';
import type { SiteMemory } from './memory.js';
import { writePreparedReport, type Preparer } from './prepare.js';
import type { ProgressDisplay } from './progress.js';
import type { BuildOutcome, Trigger } from './publisher.js';
import { diffSnapshots, snapshotOfReport, type FeedChange, type FeedSnapshot } from './runlog.js';

export interface RunOptions {
  runOneBuild: typeof build;
  memory: SiteMemory;
  preparer: Preparer;
  log: PublisherLog;
  progress: () => ProgressDisplay;
  /** The feeds in the output folder when the publisher started: the first run's changes are against these. */
  published: FeedSnapshot;
  outDir: string;
  cwd: string;
  /** After each build that read a config. */
  reconcile: (config: Config) => void;
  /** Makes the new files served and tells the hubs; must not wait for the hubs. */
  announce: (report: BuildReport) => Promise<unknown>;
  /** When the next article falls due as the publisher knows it, for the line of a build that threw. */
  nextDue: () => Date | undefined;
}

export type RunBuild = (triggers: readonly Trigger[], now: Date, signal: AbortSignal) => Promise<BuildOutcome>;

export function createRun(options: RunOptions): RunBuild {
  const { memory, preparer, log } = options;
  let snapshot = options.published;

  const buildOrTakePrepared = async (triggers: readonly Trigger[], now: Date, signal: AbortSignal, progress: ProgressDisplay) => {
    const startedMs = performance.now();
    const ahead = await preparer.takeFor(now);
    if (ahead && !signal.aborted) return { report: await writePreparedReport(ahead, { now, outDir: options.outDir, cwd: options.cwd, startedMs }), prepared: true };
    // The files as bytes, in chunks: the run log reads the JSON Feeds' items from them (report.jsonItems).
    const report = await options.runOneBuild({ ...memory.optionsFor(triggers), now, signal, onProgress: progress.update, keepFiles: false });
    memory.remember(report);
    preparer.noteBuild(report.durationMs);
    return { report, prepared: false };
  };

  const changesOf = (report: BuildReport): FeedChange[] => {
    if (!report.ok || !report.write) return [];
    // Feeds proven unchanged were not serialised: they keep their last snapshot.
    const next: FeedSnapshot = new Map(snapshot);
    for (const rel of report.write.removed) next.delete(rel);
    for (const [rel, items] of snapshotOfReport(report)) next.set(rel, items);
    const changes = diffSnapshots(snapshot, next, report.feeds);
    snapshot = next;
    return changes;
  };

  const logRun = (triggers: readonly Trigger[], now: Date, report: BuildReport, prepared: boolean) => {
    const changes = changesOf(report);
    const errors = report.diagnostics.filter((d) => d.severity === 'error').length;
    log.run({
      time: now,
      triggers,
      ok: report.ok,
      changes,
      written: report.write?.written.length ?? 0,
      unchanged: report.write?.unchanged.length ?? 0,
      removed: report.write?.removed.length ?? 0,
      errors,
      warnings: report.diagnostics.length - errors,
      nextDue: report.nextDue,
      durationMs: report.durationMs,
      ...(report.held?.length ? { held: report.held.length } : {}),
      ...(prepared ? { prepared: true } : {}),
    });
  };

  return async (triggers, now, signal) => {
    const progress = options.progress();
    let built: { report: BuildReport; prepared: boolean };
    try {
      built = await buildOrTakePrepared(triggers, now, signal, progress);
    } catch (e) {
      progress.done();
      // The changes this build took are not known to be loaded.
      memory.forgetChanges();
      log.unexpected(e);
      const message = String((e as Error)?.message ?? e);
      log.run({ time: now, triggers, ok: false, changes: [], written: 0, unchanged: 0, removed: 0, errors: 1, warnings: 0, nextDue: options.nextDue(), durationMs: 0, error: message });
      return { ok: false, transient: true };
    }
    progress.done();
    const { report } = built;
    if (report.diagnostics.some((d) => d.code === 'build-aborted')) return { ok: false };
    // A held file's errors are said on every run, until it is fixed; others only when they change.
    if (report.held?.length) log.diagnostics(report.diagnostics);
    else log.diagnosticsIfChanged(report.diagnostics);
    logRun(triggers, now, report, built.prepared);
    if (report.config) options.reconcile(report.config);
    // Served first, then announced: a hub fetching the feed gets the new version.
    await options.announce(report);
    return { ok: report.ok, nextDue: report.nextDue, transient: report.diagnostics.some((d) => d.code === 'write-failed') };
  };
}
