/**
 * Building ahead of a due time, for sites whose build takes longer than the
 * publishing window: `leadMs()` before the due time, build as of that time
 * and write nothing; at the due time, write that result at once if its proof
 * holds (src/incremental/prepared.ts: no content or config file changed, no
 * publication replaced the manifest meanwhile, and select's window of that
 * build holds at the clock), through the build's one write path
 * (src/build/write.ts).
 */
import type { build, BuildOptions, BuildReport } from '../build/build.js';
import { writeOutput } from '../build/write.js';
import { inputsDigest, preparedHolds, type PreparedProof } from '../incremental/prepared.js';
import { manifestStamp } from '../publish/manifest.js';

export interface PreparerOptions {
  contentDir: string;
  /** The output folder: its manifest is an input too (the feeds kept empty a while, publish/emptied.ts). */
  outDir: string;
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
  // A publication between the build ahead and its due time (a cron or watched build) replaces the manifest: the proof fails then.
  const inputs = () => {
    const content = inputsDigest(contentDir, configFile ? [configFile] : []);
    return content && `${content}:${manifestStamp(options.outDir)}`;
  };
  let lastBuildMs = 0;
  let prepared: { proof: PreparedProof; report: BuildReport } | undefined;
  return {
    // Far enough ahead for a build to finish, with room to spare.
    leadMs: () => Math.min(15 * 60_000, Math.max(5_000, 3 * lastBuildMs)),
    run: async (due, buildSignal) => {
      prepared = undefined;
      if (lastBuildMs <= prepareAboveMs) return;
      const before = inputs();
      const report = await options.runOneBuild({ ...options.buildOptions(), now: due, write: false, signal: buildSignal });
      options.remember(report);
      if (report.ok) prepared = { proof: { inputs: before, window: report.window }, report };
    },
    takeFor: async (now) => {
      const p = prepared;
      prepared = undefined;
      // Not a second early: the prepared selection must be select's answer at `now` too.
      return p && preparedHolds(p.proof, inputs(), now) ? p.report : undefined;
    },
    noteBuild: (durationMs) => {
      lastBuildMs = durationMs;
    },
  };
}

/**
 * Writes a report built ahead, at `now`, through the build's one write path. Output is a function
 * of content, config and now, and the proof (incremental/prepared.ts) says the first two did not
 * change and select answers the same at `now`: these are the bytes a build now would write.
 */
export async function writePreparedReport(ahead: BuildReport, at: { now: Date; outDir: string; cwd: string; startedMs: number }): Promise<BuildReport> {
  const { now, outDir, cwd } = at;
  const report: BuildReport = { ...ahead, files: ahead.files, now, diagnostics: [...ahead.diagnostics] };
  const written = await writeOutput(outDir, ahead.files, { updated: ahead.updated, now, cwd, items: ahead.items, feeds: ahead.feedRecords });
  if ('write' in written) {
    report.write = written.write;
    report.diagnostics.push(...written.warnings);
    // Published now: a file with errors from here on stands as the version these feeds carry.
    if (ahead.kind === 'full' && ahead.cache && ahead.carried) ahead.cache.published = ahead.carried;
  } else {
    report.diagnostics.push(written.failed);
    report.ok = false;
  }
  report.durationMs = performance.now() - at.startedMs;
  return report;
}
