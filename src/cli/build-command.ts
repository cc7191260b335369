/** `feedpipe build` and `feedpipe check`: one build, its diagnostics, a summary, and for build the WebSub pings. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { build, check, resolveConfig, type BuildOptions, type BuildReport } from '../build/build.js';
import { record } from '../config/recorded.js';
import { formatDiagnostics } from '../diagnostics/diagnostics.js';
import { JOURNAL } from '../publish/files.js';
import { describeRecovery, recoverOutput } from '../publish/journal.js';
import { acquireOutputLock } from '../start/lock.js';
import { toDisplayPath } from '../util/paths.js';
import { EXIT_FAILED, EXIT_OK } from './exit.js';
import type { CliIO } from './io.js';

export async function runBuild(options: BuildOptions, quiet: boolean, io: CliIO): Promise<number> {
  const report = await buildLocked(options, io);
  if (!report) return EXIT_FAILED;
  const code = reportOutcome('build', report, quiet, io);
  // Whatever the exit code (--keep-going exits 1 while a file is held), hubs hear of what was published.
  if (report.ok && report.write) await announce(report, quiet, io);
  return code;
}

export async function runCheck(options: BuildOptions, quiet: boolean, io: CliIO): Promise<number> {
  return reportOutcome('check', await check(options), quiet, io);
}

/** A one-off build takes the output folder's lock too, so it never interleaves with a running publisher. */
async function buildLocked(options: BuildOptions, io: CliIO): Promise<BuildReport | undefined> {
  const resolved = await resolveConfig(options);
  if (!resolved.config) return build(options); // reports the config's errors; writes nothing
  // So that a `feedpipe serve` of this output reads the config without the YAML parser and the schema.
  if (resolved.file && options.cacheDir) await record(resolved.file.path, resolved.file.source, resolved.config);
  const locked = await acquireOutputLock(resolved.outDir, { command: 'feedpipe build' });
  if (!locked.ok) {
    io.stderr(`feedpipe: nothing was published: ${locked.message}\n`);
    return undefined;
  }
  if (locked.tookOver) io.stderr(`feedpipe: took over the stale lock ${toDisplayPath(locked.tookOver.file, io.cwd ?? process.cwd())}: ${locked.tookOver.reason}\n`);
  try {
    // Only a process that died holding the lock leaves anything to finish (a failed write undoes itself, or leaves its journal).
    if (locked.tookOver || existsSync(path.join(resolved.outDir, JOURNAL))) await finishInterrupted(resolved.outDir, io);
    return await build({ ...options, reuseLastResult: true, keepFiles: false });
  } finally {
    await locked.lock.release();
  }
}

/** Before the last result is judged standing: a publication a killed process left is finished, its temp files go. */
async function finishInterrupted(outDir: string, io: CliIO): Promise<void> {
  const shown = toDisplayPath(outDir, io.cwd ?? process.cwd());
  try {
    const text = describeRecovery(await recoverOutput(outDir));
    if (text) io.stderr(`feedpipe: ${shown}: ${text}\n`);
  } catch (e) {
    io.stderr(`feedpipe: could not finish the interrupted publication in ${shown}: ${(e as Error).message}\n`);
  }
}

function reportOutcome(command: 'build' | 'check', report: BuildReport, quiet: boolean, io: CliIO): number {
  const shown = quiet ? report.diagnostics.filter((d) => d.severity === 'error') : report.diagnostics;
  if (shown.length) io.stderr(formatDiagnostics(shown));
  if (!report.ok) {
    io.stderr(command === 'check' ? 'feedpipe: check failed.\n' : 'feedpipe: nothing was published; the feeds in the output folder are unchanged.\n');
    return EXIT_FAILED;
  }
  if (!quiet) io.stdout(summary(command, report, io.cwd ?? process.cwd()));
  const held = report.held ?? [];
  if (held.length) {
    const kept = held.filter((h) => h.kept).length;
    io.stderr(`feedpipe: ${held.length} file${held.length === 1 ? '' : 's'} with errors held back (${kept} kept the version last published, ${held.length - kept} left out); the rest was ${command === 'build' ? 'published' : 'checked'}. Exit 1 until fixed.\n`);
    return EXIT_FAILED;
  }
  return EXIT_OK;
}

/**
 * After the files are written, and never changing the exit code: a hub that is down is a warning.
 * All hubs together get `websub.timeout` seconds (retries included); then the build says which did
 * not answer and exits, with no socket left open. The WebSub client is loaded only for a site that
 * names hubs: a plain build does not pay for it.
 */
async function announce(report: BuildReport, quiet: boolean, io: CliIO): Promise<void> {
  if (!report.config?.websub.hubs.length) return;
  const { announcePublish } = await import('../start/websub.js');
  const deadlineMs = report.config.websub.timeout * 1000;
  const results = await (await announcePublish(report, { deadlineMs, timeoutMs: deadlineMs, log: (m) => io.stderr(m + '\n') })).pings;
  if (results.length && !quiet) io.stdout(`WebSub: ${results.filter((r) => r.ok).length} of ${results.length} hub pings accepted\n`);
}

export function summary(command: 'build' | 'check', r: BuildReport, cwd: string): string {
  const lines: string[] = [];
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push(
    `${count(r.counts.articles, 'article')}: ${r.counts.visible} public, ${r.counts.scheduled} scheduled, ${count(r.counts.drafts, 'draft')} (now: ${r.now.toISOString()})`,
  );
  if (r.nextDue) lines.push(`next due: ${r.nextDue.toISOString()} ${r.nextDueFile ?? ''}`.trimEnd());
  const pages = r.feeds.filter((f) => f.archive).length;
  // Feeds kept empty a while after their last article went (publish/emptied.ts) are published, and said apart.
  const empty = r.feeds.filter((f) => !f.archive && f.key !== 'main' && f.items === 0).length;
  const feeds = count(r.feeds.length - pages, 'feed') + (empty ? ` (${empty} kept empty)` : '') + (pages ? ` and ${count(pages, 'archive page')}` : '');
  if (command === 'build' && r.write) {
    lines.push(
      `${feeds} in ${toDisplayPath(r.outDir!, cwd)}: ${r.write.written.length} written, ${r.write.unchanged.length} unchanged, ${r.write.removed.length} removed (${Math.round(r.durationMs)} ms)`,
    );
  } else {
    lines.push(`${feeds} would be published; nothing written (${Math.round(r.durationMs)} ms)`);
  }
  return lines.join('\n') + '\n';
}
