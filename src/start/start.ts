/**
 * `feedpipe start`, the edge of the publisher: it owns the lock, the cron
 * task, the file watchers and the log lines, and hands every decision about
 * when to build to Publisher (publisher.ts) and about what is public to the
 * build (select.ts). It never prints directly: text goes through `out`.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { BuildCache } from '../incremental/cache.js';
import { build, resolveConfig, type BuildOptions, type BuildProgress, type BuildReport } from '../build/build.js';
import { DEFAULT_CONFIG_FILE } from '../config/config.js';
import { findMarkdownFiles } from '../content/load.js';
import { formatDiagnostics, hasErrors, type Diagnostic } from '../diagnostics/diagnostics.js';
import { acquireOutputLock, LOCK_REFRESH_MS, type OutputLock } from './lock.js';
import { Publisher, systemClock, systemTimers, type BuildOutcome, type Clock, type Timers, type Trigger } from './publisher.js';
import { diffSnapshots, formatDiagnosticsJson, formatRunHuman, formatRunJson, readPublishedSnapshot, snapshotOfFiles, type FeedSnapshot, type RunRecord } from './runlog.js';
import { publishFiles } from '../publish/write.js';
import { startCron, type CronHandle } from './cron.js';
import { createFeedServer, type FeedServer } from '../serve/server.js';
import { announcePublish, type PingOptions } from './websub.js';
import { mapLimit } from '../util/map-limit.js';
import { isIgnoredName, toDisplayPath } from '../util/paths.js';

export type LogFormat = 'human' | 'json';

export interface StartOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stderr is a terminal: show progress of long builds. */
  isTTY?: boolean;
}

export interface StartOptions {
  /** Where and what to build; `now`, `write` and `signal` are the publisher's. */
  build: Omit<BuildOptions, 'now' | 'write' | 'signal' | 'onProgress' | 'renderAll'>;
  /** Stops the publisher: the write in flight finishes, the lock is released, the promise resolves. */
  signal: AbortSignal;
  out: StartOutput;
  watch?: boolean;
  logFormat?: LogFormat;
  /** Print only runs that changed something or failed. */
  quiet?: boolean;
  clock?: Clock;
  timers?: Timers;
  wallCheckMs?: number;
  debounceMs?: number;
  lockRefreshMs?: number;
  /** Cron is on by default; tests that drive triggers themselves turn it off. */
  cron?: boolean;
  /**
   * Build ahead of each due time (and only write at it) once a build takes
   * longer than this. Default 250 ms: small sites build at the due time itself.
   */
  prepareAboveMs?: number;
  /** Retry backoff after an unexpected failure (Publisher's `retryMs`). */
  retryMs?: { first: number; max: number };
  /** The build itself; a parameter so tests can make it fail. */
  buildImpl?: typeof build;
  /**
   * Also serve the output folder over HTTP from this process (`start --serve`): after
   * every build that changed files the server reloads, and only then are hubs pinged.
   * Port and host default to the config's `server` section.
   */
  serve?: { port?: number; host?: string };
  /** How WebSub hubs are pinged after a build that changed a feed (tests inject fetch and fast retries). */
  ping?: PingOptions;
}

/** Runs the publisher until `signal` aborts. Resolves with an exit code: 0 after a clean stop. */
export async function runPublisher(options: StartOptions): Promise<number> {
  const { out, signal } = options;
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const format = options.logFormat ?? 'human';
  const cwd = options.build.cwd ?? process.cwd();
  const runOneBuild = options.buildImpl ?? build;
  const say = (event: string, human: string, fields: Record<string, unknown> = {}) => {
    if (format === 'json') out.stdout(JSON.stringify({ time: new Date(clock.now()).toISOString(), event, ...fields }) + '\n');
    else out.stderr(`feedpipe: ${human}\n`);
  };
  const printDiagnostics = (diagnostics: readonly Diagnostic[]) => {
    if (!diagnostics.length) return;
    out.stderr(format === 'json' ? formatDiagnosticsJson(diagnostics, new Date(clock.now())) : formatDiagnostics(diagnostics));
  };

  const resolved = await resolveConfig(options.build);
  if (!resolved.config || hasErrors(resolved.diagnostics)) {
    printDiagnostics(resolved.diagnostics);
    say('error', 'cannot start: fix the config first', { message: 'cannot start: the config has errors' });
    return 1;
  }
  const config = resolved.config;
  const { contentDir, outDir } = resolved;

  const locked = await acquireOutputLock(outDir, { command: 'feedpipe start', now: () => clock.now() });
  if (!locked.ok) {
    say('error', `cannot start: ${locked.message}`, { message: `cannot start: ${locked.message}` });
    return 1;
  }
  const lock: OutputLock = locked.lock;
  if (locked.tookOver) say('lock', `took over a stale lock on ${toDisplayPath(outDir, cwd)}: ${locked.tookOver.reason}`, { tookOver: locked.tookOver });

  // Everything that keeps the process alive, undone in `finally` whatever happens.
  let cron: CronHandle | undefined;
  const watchers: FSWatcher[] = [];
  let refreshTimer: unknown;
  let running: Publisher | undefined;
  let server: FeedServer | undefined;
  let exitCode = 0;
  const stopped = new AbortController();
  const stop = (code: number) => {
    exitCode = Math.max(exitCode, code);
    stopped.abort();
  };
  const onAbort = () => stop(0);
  if (signal.aborted) stop(0);
  else signal.addEventListener('abort', onAbort, { once: true });
  try {

    // Builds always go to the folder this process locked, whatever the config says later.
    const pinned: BuildOptions = { ...options.build, contentDir, outDir, cwd };
    const configFile = options.build.config ? undefined : path.resolve(cwd, options.build.configPath ?? DEFAULT_CONFIG_FILE);
    let snapshot: FeedSnapshot = await readPublishedSnapshot(outDir);
    // The parsed site stays in memory between builds; a build after a watched change looks only at the changed files.
    let cache: BuildCache | undefined;
    let changedPaths: Set<string> | 'all' = 'all';
    const remember = (report: BuildReport) => {
      if (report.cache && report.cache !== cache) {
        cache = report.cache;
        cache.inMemoryOnly();
      }
    };
    const buildOptions = (triggers: readonly Trigger[]): BuildOptions => {
      const changed = changedPaths;
      changedPaths = new Set();
      const onlyWatched = cache && changed !== 'all' && triggers.length > 0 && triggers.every((t) => t === 'watch');
      return { ...pinned, ...(cache ? { cache } : {}), ...(onlyWatched ? { changedPaths: [...changed] } : {}) };
    };
    let lastDiagnostics = '';
    let warnedDirs = false;

    const log = (record: RunRecord) => {
      const quietable = record.ok && !record.changes.length && !record.written && !record.removed;
      if (options.quiet && quietable) return;
      out.stdout(format === 'json' ? formatRunJson(record) : formatRunHuman(record));
    };

    const reconcile = (report: BuildReport) => {
      const c = report.config;
      if (!c) return;
      if (options.cron !== false && (!cron || cron.expression !== c.schedule.cron || cron.timezone !== c.site.timezone)) {
        const was = cron;
        cron?.stop();
        cron = startCron(c.schedule.cron, c.site.timezone, () => publisher.trigger('cron'), { warn: (m) => say('warning', m, { message: m }) });
        if (was) say('cron', `rebuilding on "${c.schedule.cron}" (${c.site.timezone}) from now on`, { cron: c.schedule.cron, timezone: c.site.timezone });
      }
      if (configFile && !warnedDirs) {
        const base = path.dirname(configFile);
        const moved =
          (!options.build.outDir && path.resolve(base, c.output) !== outDir) || (!options.build.contentDir && path.resolve(base, c.content) !== contentDir);
        if (moved) {
          warnedDirs = true;
          say('warning', 'the config now names another content or output folder; this publisher keeps the folders it started with — restart it to switch', {
            message: 'content or output folder changed in the config; restart to switch',
          });
        }
      }
    };

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
    const prepareAboveMs = options.prepareAboveMs ?? 250;
    const prepare = {
      // Far enough ahead for a build to finish, with room to spare.
      leadMs: () => Math.min(15 * 60_000, Math.max(5_000, 3 * lastBuildMs)),
      run: async (due: Date, buildSignal: AbortSignal) => {
        prepared = undefined;
        if (lastBuildMs <= prepareAboveMs) return;
        const print = await fingerprint();
        const report = await runOneBuild({ ...pinned, ...(cache ? { cache } : {}), now: due, write: false, signal: buildSignal });
        remember(report);
        if (report.ok) prepared = { due: due.getTime(), fingerprint: print, report };
      },
    };

    /** The build prepared for a due time, if it is exactly what a build now would write. */
    const preparedFor = async (now: Date): Promise<BuildReport | undefined> => {
      const p = prepared;
      prepared = undefined;
      if (!p || p.due > now.getTime() || (p.report.nextDue && p.report.nextDue.getTime() <= now.getTime())) return undefined;
      return (await fingerprint()) === p.fingerprint ? p.report : undefined;
    };

    const runBuild = async (triggers: readonly Trigger[], now: Date, buildSignal: AbortSignal): Promise<BuildOutcome> => {
      const progress = progressDisplay(out, !!out.isTTY && format === 'human');
      let report: BuildReport;
      let usedPrepared = false;
      try {
        const started = performance.now();
        const ahead = prepared ? await preparedFor(now) : undefined;
        if (ahead && !buildSignal.aborted) {
          // Output is a function of content, config and now: with nothing due between the prepared
          // instant and this one, these are the bytes a build now would write.
          report = { ...ahead, files: ahead.files, now, diagnostics: [...ahead.diagnostics] };
          try {
            report.write = await publishFiles(outDir, ahead.files, { updated: ahead.updated, now });
          } catch (e) {
            report.diagnostics.push({ code: 'write-failed', severity: 'error', file: toDisplayPath(outDir, cwd), message: `could not write the feeds: ${(e as Error).message}`, hint: 'check that the output folder is writable and the disk has space' });
            report.ok = false;
          }
          report.durationMs = performance.now() - started;
          usedPrepared = true;
        } else {
          report = await runOneBuild({ ...buildOptions(triggers), now, signal: buildSignal, onProgress: progress.update });
          remember(report);
          lastBuildMs = report.durationMs;
        }
      } catch (e) {
        progress.done();
        // The changes this build took are not known to be loaded: the next build looks at everything.
        changedPaths = 'all';
        const err = e as Error;
        out.stderr(format === 'json' ? JSON.stringify({ time: new Date(clock.now()).toISOString(), event: 'error', message: String(err?.message ?? e), stack: err?.stack }) + '\n' : `feedpipe: unexpected error in a build (the published feeds are unchanged; retrying):\n${err?.stack ?? String(e)}\n`);
        log({ time: now, triggers, ok: false, changes: [], written: 0, unchanged: 0, removed: 0, errors: 1, warnings: 0, nextDue: publisher.nextDue, durationMs: 0, error: String(err?.message ?? e) });
        return { ok: false, transient: true };
      }
      progress.done();
      if (report.diagnostics.some((d) => d.code === 'build-aborted')) return { ok: false };
      // The same warnings on every cron tick would drown the log: print diagnostics when they change.
      const text = formatDiagnostics(report.diagnostics);
      if (text !== lastDiagnostics) printDiagnostics(report.diagnostics);
      lastDiagnostics = text;
      let changes: RunRecord['changes'] = [];
      if (report.ok && report.write) {
        // Feeds proven unchanged were not serialised: they keep their last snapshot.
        const next: FeedSnapshot = new Map(snapshot);
        for (const rel of report.write.removed) next.delete(rel);
        for (const [rel, items] of snapshotOfFiles(report.files)) next.set(rel, items);
        changes = diffSnapshots(snapshot, next, report.feeds);
        snapshot = next;
      }
      const errors = report.diagnostics.filter((d) => d.severity === 'error').length;
      log({
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
        ...(usedPrepared ? { prepared: true } : {}),
      });
      reconcile(report);
      // Served first, then announced: a hub fetching the feed gets the new version. The pings run
      // on their own (never delaying the next build) and end when the publisher stops.
      const { pings } = await announcePublish(report, {
        ...options.ping,
        ...(server ? { reload: server.reload } : {}),
        signal: stopped.signal,
        log: (m) => say('warning', m, { message: m }),
      });
      void pings;
      return { ok: report.ok, nextDue: report.nextDue, transient: report.diagnostics.some((d) => d.code === 'write-failed') };
    };

    const publisher = new Publisher({
      runBuild,
      onError: (e) => out.stderr(`feedpipe: unexpected error (the publisher keeps running):\n${(e as Error)?.stack ?? String(e)}\n`),
      clock,
      timers,
      prepare,
      ...(options.wallCheckMs !== undefined ? { wallCheckMs: options.wallCheckMs } : {}),
      ...(options.retryMs ? { retryMs: options.retryMs } : {}),
    });

    running = publisher;
    if (options.watch) {
      const debounceMs = options.debounceMs ?? 150;
      let pending: unknown;
      const changed = (file?: string) => {
        if (file === undefined) changedPaths = 'all';
        else if (changedPaths !== 'all') changedPaths.add(file);
        if (pending !== undefined) timers.clearTimeout(pending);
        pending = timers.setTimeout(() => {
          pending = undefined;
          publisher.trigger('watch');
        }, debounceMs);
      };
      const relOut = path.relative(contentDir, outDir);
      const outInsideContent = relOut !== '' && !relOut.startsWith('..') && !path.isAbsolute(relOut);
      const watchOne = (target: string, recursive: boolean, relevant: (name: string) => boolean, content: boolean) => {
        try {
          const w = watch(target, { recursive }, (_event, name) => {
            if (name === null) changed();
            else if (relevant(String(name))) changed(content ? path.resolve(target, String(name)) : undefined);
          });
          w.on('error', (e) => say('warning', `stopped watching ${toDisplayPath(target, cwd)}: ${e.message}`, { message: e.message }));
          watchers.push(w);
        } catch (e) {
          say('warning', `cannot watch ${toDisplayPath(target, cwd)}: ${(e as Error).message}; cron still rebuilds`, { message: (e as Error).message });
        }
      };
      // The loader's rule: files and folders starting with . or _, and node_modules, are not content (editor swap files too).
      watchOne(contentDir, true, (name) => !name.split(/[\\/]/).some(isIgnoredName) && !(outInsideContent && (name === relOut || name.startsWith(relOut + path.sep))), true);
      // The folder, not the file: editors save by renaming a new file over the old one.
      if (configFile) watchOne(path.dirname(configFile), false, (name) => name === path.basename(configFile), false);
      stopped.signal.addEventListener('abort', () => pending !== undefined && timers.clearTimeout(pending), { once: true });
    }

    // A lock that is not refreshed is taken over after a while; one that was taken over means stop.
    const refreshMs = options.lockRefreshMs ?? LOCK_REFRESH_MS;
    const refresh = () => {
      refreshTimer = timers.setTimeout(async () => {
        const ours = await lock.refresh(clock.now()).catch(() => false);
        if (stopped.signal.aborted) return;
        if (!ours) {
          say('error', 'the lock on the output folder was removed or taken over by another process; stopping so two publishers never interleave writes', {
            message: 'lock lost',
          });
          stop(1);
          return;
        }
        if (!stopped.signal.aborted) refresh();
      }, refreshMs);
    };

    if (options.serve) {
      // Serve what is already published at once; each build reloads it before hubs are told.
      server = createFeedServer({ outDir, maxAge: config.server.maxAge, log: (m) => say('warning', m, { message: m }) });
      await server.reload();
      try {
        const address = await server.listen(options.serve.port ?? config.server.port, options.serve.host ?? config.server.host);
        say('serve', `serving ${toDisplayPath(outDir, cwd)} at ${address.url}`, { url: address.url });
      } catch (e) {
        say('error', `cannot start: cannot serve: ${(e as Error).message}`, { message: `cannot serve: ${(e as Error).message}` });
        return 1; // nothing was built; `finally` releases the lock
      }
    }

    const when = ['now', 'when each article falls due'];
    if (options.cron !== false) when.push(`on the cron "${config.schedule.cron}" (${config.site.timezone})`);
    if (options.watch) when.push('on every change to the content or config');
    say(
      'start',
      `publishing ${toDisplayPath(contentDir, cwd)} → ${toDisplayPath(outDir, cwd)}: ${when.slice(0, -1).join(', ')} and ${when.at(-1)}. Ctrl-C stops.`,
      { pid: process.pid, contentDir, outDir, cron: options.cron === false ? null : config.schedule.cron, timezone: config.site.timezone, watch: !!options.watch },
    );
    if (options.cron !== false) {
      cron = startCron(config.schedule.cron, config.site.timezone, () => publisher.trigger('cron'), { warn: (m) => say('warning', m, { message: m }) });
    }
    publisher.start();
    refresh();

    if (!stopped.signal.aborted) await new Promise<void>((resolve) => stopped.signal.addEventListener('abort', () => resolve(), { once: true }));
  } finally {
    stopped.abort();
    signal.removeEventListener('abort', onAbort);
    cron?.stop();
    for (const w of watchers) w.close();
    if (refreshTimer !== undefined) timers.clearTimeout(refreshTimer);
    await running?.stop();
    await server?.close();
    await lock.release();
  }
  say('stop', 'stopped; the feeds in the output folder are complete', { exitCode });
  return exitCode;
}

/** `loading 1200/100000 files…` on a terminal, for builds that take long enough to wonder. */
function progressDisplay(out: StartOutput, enabled: boolean): { update: (p: BuildProgress) => void; done: () => void } {
  const started = performance.now();
  let last = 0;
  let shown = false;
  return {
    update: (p) => {
      if (!enabled) return;
      const t = performance.now();
      if (t - started < 500 || t - last < 100) return;
      last = t;
      shown = true;
      const doing = { load: 'loading', validate: 'checking', render: 'rendering' }[p.stage];
      out.stderr(`\r\x1b[K${doing} ${p.done}/${p.total} ${p.stage === 'load' ? 'files' : 'articles'}…`);
    },
    done: () => {
      if (shown) out.stderr('\r\x1b[K');
      shown = false;
    },
  };
}
