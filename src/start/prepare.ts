/**
 * Building ahead of a due time, for sites whose build takes longer than the
 * publishing window: `leadMs()` before the due time, build as of that time
 * and write nothing; at the due time, write that result at once if no content
 * or config file changed meanwhile. Kept in this one file, behind
 * `createPreparer` and `writePreparedReport`, so the decision can be swapped
 * for one made by the incremental stage.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { build, BuildOptions, BuildReport } from '../build/build.js';
import { findMarkdownFiles } from '../content/load.js';
import { publishFiles } from '../publish/write.js';
import { mapLimit } from '../util/map-limit.js';
import { toDisplayPath } from '../util/paths.js';

export interface PreparerOptions {
  contentDir: string;
  /** The config file builds read, if they read one. */
  configFile: string | undefined;
  /** Build ahead only once a build takes longer than this. */
  prepareAboveMs: number;
  /** The options of a build ahead (the pinned folders, the cache in memory). */
  buildOptions: () => BuildOptions;
  runOneBuild: typeof build;
  /** Each report of a build ahead, so its cache is kept. */
  remember: (report: BuildReport) => void;
}

export interface Preparer {
  /** How long before a due time to build ahead (Publisher's `prepare.leadMs`). */
  leadMs(): number;
  /** Builds as of `due`, writing nothing (Publisher's `prepare.run`). */
  run(due: Date, signal: AbortSignal): Promise<void>;
  /** The build prepared for a due time, if it is exactly what a build at `now` would write; used once. */
  takeFor(now: Date): Promise<BuildReport | undefined>;
  /** The duration of a build at a due time or trigger, which decides whether to build ahead and how early. */
  noteBuild(durationMs: number): void;
}

export function createPreparer(options: PreparerOptions): Preparer {
  const { contentDir, configFile, prepareAboveMs } = options;
  /**
   * What a build reads: every content file's identity, size and mtime, and the
   * config's. A build prepared ahead is used only if this has not changed.
   */
  const fingerprint = async (): Promise<string> => {
    const found = findMarkdownFiles(contentDir);
    const files = configFile ? [...found.files, configFile] : found.files;
    const stats = await mapLimit(files, 64, (f) =>
      stat(f, { bigint: true }).then(
        (st) => `${f}\0${st.ino}\0${st.size}\0${st.mtimeNs}\0${st.ctimeNs}`,
        (e: NodeJS.ErrnoException) => `${f}\0${e.code}`,
      ),
    );
    return createHash('sha256').update(JSON.stringify([stats, found.diagnostics.map((d) => d.message)])).digest('hex');
  };
  let lastBuildMs = 0;
  let prepared: { due: number; fingerprint: string; report: BuildReport } | undefined;
  return {
    // Far enough ahead for a build to finish, with room to spare.
    leadMs: () => Math.min(15 * 60_000, Math.max(5_000, 3 * lastBuildMs)),
    run: async (due, buildSignal) => {
      prepared = undefined;
      if (lastBuildMs <= prepareAboveMs) return;
      const print = await fingerprint();
      const report = await options.runOneBuild({ ...options.buildOptions(), now: due, write: false, signal: buildSignal });
      options.remember(report);
      if (report.ok) prepared = { due: due.getTime(), fingerprint: print, report };
    },
    takeFor: async (now) => {
      const p = prepared;
      prepared = undefined;
      if (!p || p.due > now.getTime() || (p.report.nextDue && p.report.nextDue.getTime() <= now.getTime())) return undefined;
      return (await fingerprint()) === p.fingerprint ? p.report : undefined;
    },
    noteBuild: (durationMs) => {
      lastBuildMs = durationMs;
    },
  };
}

/**
 * Writes a report built ahead at `now`. Output is a function of content,
 * config and now: with nothing due between the prepared instant and this
 * one, these are the bytes a build now would write.
 */
export async function writePreparedReport(ahead: BuildReport, at: { now: Date; outDir: string; cwd: string; startedMs: number }): Promise<BuildReport> {
  const { now, outDir, cwd } = at;
  const report: BuildReport = { ...ahead, files: ahead.files, now, diagnostics: [...ahead.diagnostics] };
  try {
    report.write = await publishFiles(outDir, ahead.files, { updated: ahead.updated, now });
  } catch (e) {
    report.diagnostics.push({ code: 'write-failed', severity: 'error', file: toDisplayPath(outDir, cwd), message: `could not write the feeds: ${(e as Error).message}`, hint: 'check that the output folder is writable and the disk has space' });
    report.ok = false;
  }
  report.durationMs = performance.now() - at.startedMs;
  return report;
}
