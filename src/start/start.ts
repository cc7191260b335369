/**
 * `feedpipe start`, the edge of the publisher: it resolves the config, takes
 * the output folder's lock, wires the pieces together and tears them down.
 * When to build is Publisher's (publisher.ts), one run is run.ts's, what is
 * public is the build's. It never prints directly: text goes through `out`
 * (log.ts), and it decides no exit code: it returns how it stopped.
 */
import path from 'node:path';
import { build, resolveConfig, WorkerPool, type BuildOptions } from '../build/build.js';
import { DEFAULT_CONFIG_FILE, type Config } from '../config/config.js';
import { hasErrors } from '../diagnostics/diagnostics.js';
import { describeRecovery, recoverOutput, RECOVERING_COMMAND } from '../publish/journal.js';
import { createFeedServer, type FeedServer } from '../serve/server.js';
import { toDisplayPath } from '../util/paths.js';
import { acquireOutputLock, keepLockFresh, type LockResult } from './lock.js';
import { createPublisherLog, type LogFormat, type PublisherLog, type StartOutput } from './log.js';
import { createSiteMemory, type SiteMemory } from './memory.js';
import { createPreparer } from './prepare.js';
import { progressDisplay } from './progress.js';
import { Publisher, systemClock, systemTimers, type Clock, type Timers } from './publisher.js';
import { createReconciler, type Reconciler } from './reconcile.js';
import { createRun } from './run.js';
import { readPublishedSnapshot } from './runlog.js';
import { watchSources } from './watch.js';
import { createAnnouncer, type PingOptions } from './websub.js';

export type { LogFormat, StartOutput } from './log.js';

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

/** How the publisher ended: stopped after running, or failed to start. The CLI maps it to an exit code. */
export type StopOutcome = { stopped: 'signal' } | { stopped: 'lock-lost' } | { failed: 'config' | 'lock' | 'serve'; message: string };

/** Runs the publisher until `signal` aborts or its lock is lost. */
export async function runPublisher(options: StartOptions): Promise<StopOutcome> {
  const clock = options.clock ?? systemClock;
  const log = createPublisherLog(options.out, { format: options.logFormat ?? 'human', clock, quiet: !!options.quiet });
  const cwd = options.build.cwd ?? process.cwd();
  const resolved = await resolveConfig(options.build);
  if (!resolved.config || hasErrors(resolved.diagnostics)) {
    log.diagnostics(resolved.diagnostics);
    log.say('error', 'cannot start: fix the config first', { message: 'cannot start: the config has errors' });
    return { failed: 'config', message: 'the config has errors' };
  }
  const { config, contentDir, outDir } = resolved;
  const locked = await lockOutput(outDir, clock);
  if (!locked.ok) {
    log.say('error', `cannot start: ${locked.message}`, { message: `cannot start: ${locked.message}` });
    return { failed: 'lock', message: locked.message };
  }
  if (locked.tookOver) log.say('lock', `took over the stale lock ${toDisplayPath(locked.tookOver.file, cwd)}: ${locked.tookOver.reason}`, { tookOver: locked.tookOver });
  await finishInterrupted(outDir, log, cwd);

  const stopping = new AbortController();
  let lockLost = false;
  const onAbort = () => stopping.abort();
  if (options.signal.aborted) stopping.abort();
  else options.signal.addEventListener('abort', onAbort, { once: true });
  // Everything that keeps the process alive, undone in `finally` whatever happens.
  const running: Running = {};
  try {
    const site: Site = { options, log, clock, timers: options.timers ?? systemTimers, cwd, config, contentDir, outDir, stopping: stopping.signal };
    // Serving first: what is published is answered before the workers start or the last run's feeds are read.
    if (options.serve) {
      running.server = createFeedServer({ outDir, maxAge: config.server.maxAge, log: (m) => log.warn(m) });
      const failed = await serve(site, options.serve, running.server);
      if (failed) return failed; // nothing was built; `finally` releases the lock
    }
    const { publisher, memory, reconciler } = await wirePublisher(site, running);
    if (options.watch) running.unwatch = watchFor(site, publisher, memory);
    sayStarted(site);
    reconciler.keepCron(config);
    publisher.start();
    keepLockFresh(locked.lock, {
      everyMs: options.lockRefreshMs,
      now: () => clock.now(),
      timers: site.timers,
      signal: stopping.signal,
      onLost: () => {
        log.say('error', 'the lock on the output folder was removed or taken over by another process; stopping so two publishers never interleave writes', { message: 'lock lost' });
        lockLost = true;
        stopping.abort();
      },
    });
    if (!stopping.signal.aborted) await new Promise<void>((resolve) => stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
  } finally {
    stopping.abort();
    options.signal.removeEventListener('abort', onAbort);
    running.reconciler?.stop();
    running.unwatch?.();
    await running.publisher?.stop();
    await running.workers?.close();
    await running.server?.close();
    await locked.lock.release();
  }
  const outcome: StopOutcome = lockLost ? { stopped: 'lock-lost' } : { stopped: 'signal' };
  // The stop event has always told log readers the exit code the README documents for this
  // stop; the CLI decides the process's own (exitCodeOf), and test/start/outcome.test.ts pins that they agree.
  log.say('stop', 'stopped; the feeds in the output folder are complete', { exitCode: lockLost ? 1 : 0 });
  return outcome;
}

/** The output folder's lock; a `feedpipe serve` holds it only for the moment it finishes an interrupted publication: wait for that. */
async function lockOutput(outDir: string, clock: Clock): Promise<LockResult> {
  for (let waited = 0; ; waited += 50) {
    const locked = await acquireOutputLock(outDir, { command: 'feedpipe start', now: () => clock.now() });
    if (locked.ok || locked.holder?.command !== RECOVERING_COMMAND || waited >= 5000) return locked;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Before anything reads the folder: a publication a killed process left is finished (or undone), and its temp files go. */
async function finishInterrupted(outDir: string, log: PublisherLog, cwd: string): Promise<void> {
  try {
    const recovered = await recoverOutput(outDir);
    const text = describeRecovery(recovered);
    if (text) log.say('recover', `${toDisplayPath(outDir, cwd)}: ${text}`, { action: recovered.recovery.action, staleTemps: recovered.staleTemps });
  } catch (e) {
    log.warn(`could not finish the interrupted publication in ${toDisplayPath(outDir, cwd)} (${(e as Error).message}); each build tries again`, (e as Error).message);
  }
}

interface Running {
  publisher?: Publisher;
  /** The threads that render, kept across builds: one changed article does not wait for a worker to start. */
  workers?: WorkerPool;
  reconciler?: Reconciler;
  unwatch?: () => void;
  server?: FeedServer;
}

/** What every piece of a running publisher is wired from. */
interface Site {
  options: StartOptions;
  log: PublisherLog;
  clock: Clock;
  timers: Timers;
  cwd: string;
  config: Config;
  contentDir: string;
  outDir: string;
  /** Aborts when the publisher stops. */
  stopping: AbortSignal;
}

/** The publisher and what one run needs; `running` gets each piece to tear down as soon as it exists. */
async function wirePublisher(site: Site, running: Running): Promise<{ publisher: Publisher; memory: SiteMemory; reconciler: Reconciler }> {
  const { options, log, contentDir, outDir, cwd } = site;
  const runOneBuild = options.buildImpl ?? build;
  const workers = options.build.parallel === false ? undefined : WorkerPool.create({ maxMemoryMb: site.config.render.maxMemoryMb });
  running.workers = workers;
  // Builds always go to the folder this process locked, whatever the config says later; a file
  // with errors never holds back another's publication (src/build/hold.ts).
  const memory = createSiteMemory({ ...options.build, keepGoing: true, contentDir, outDir, cwd, ...(workers ? { workers } : {}) });
  const configFile = configFileOf(site);
  const preparer = createPreparer({ contentDir, outDir, configFile, prepareAboveMs: options.prepareAboveMs ?? 250, buildOptions: memory.withCache, runOneBuild, remember: memory.remember });
  const onCronTick = () => publisher.trigger('cron');
  const pinned = { contentDir: options.build.contentDir, outDir: options.build.outDir };
  const reconciler = createReconciler({ cron: options.cron !== false, onCronTick, log, configFile, contentDir, outDir, pinned });
  running.reconciler = reconciler;
  const runBuild = createRun({
    runOneBuild,
    memory,
    preparer,
    log,
    progress: () => progressDisplay(options.out, !!options.out.isTTY && (options.logFormat ?? 'human') === 'human'),
    published: await readPublishedSnapshot(outDir),
    outDir,
    cwd,
    reconcile: reconciler.reconcile,
    // The pings run on their own (never delaying the next build), end when the publisher stops, and
    // what a hub was not told goes out again with the next change.
    announce: createAnnouncer({ ...options.ping, reload: async () => running.server?.reload(), signal: site.stopping, log: (m) => log.warn(m) }),
    nextDue: () => publisher.nextDue,
  });
  const publisher = new Publisher({
    runBuild,
    onError: log.publisherError,
    clock: site.clock,
    timers: site.timers,
    prepare: preparer,
    ...(options.wallCheckMs !== undefined ? { wallCheckMs: options.wallCheckMs } : {}),
    ...(options.retryMs ? { retryMs: options.retryMs } : {}),
  });
  running.publisher = publisher;
  return { publisher, memory, reconciler };
}

/** The config file builds read, if they read one (not when the config was given as an object). */
function configFileOf({ options, cwd }: Site): string | undefined {
  return options.build.config ? undefined : path.resolve(cwd, options.build.configPath ?? DEFAULT_CONFIG_FILE);
}

function watchFor(site: Site, publisher: Publisher, memory: SiteMemory): () => void {
  const { options, log } = site;
  return watchSources({
    contentDir: site.contentDir,
    outDir: site.outDir,
    configFile: configFileOf(site),
    cwd: site.cwd,
    debounceMs: options.debounceMs ?? 150,
    timers: site.timers,
    onChange: memory.changed,
    onSettled: () => publisher.trigger('watch'),
    warn: (human, message) => log.warn(human, message),
  });
}

/**
 * Serves what is already published at once: it listens without waiting for the first load (until
 * that has finished, each request reads the file it names); each build reloads it before hubs are told.
 */
async function serve(site: Site, on: { port?: number; host?: string }, server: FeedServer): Promise<StopOutcome | undefined> {
  const { log, config } = site;
  void server.reload();
  try {
    const address = await server.listen(on.port ?? config.server.port, on.host ?? config.server.host);
    log.say('serve', `serving ${toDisplayPath(site.outDir, site.cwd)} at ${address.url}`, { url: address.url });
    return undefined;
  } catch (e) {
    const message = `cannot serve: ${(e as Error).message}`;
    log.say('error', `cannot start: ${message}`, { message });
    return { failed: 'serve', message };
  }
}

function sayStarted({ options, log, config, contentDir, outDir, cwd }: Site): void {
  const cron = options.cron !== false;
  const when = ['now', 'when each article falls due'];
  if (cron) when.push(`on the cron "${config.schedule.cron}" (${config.site.timezone})`);
  if (options.watch) when.push('on every change to the content or config');
  log.say(
    'start',
    `publishing ${toDisplayPath(contentDir, cwd)} → ${toDisplayPath(outDir, cwd)}: ${when.slice(0, -1).join(', ')} and ${when.at(-1)}. Ctrl-C stops.`,
    { pid: process.pid, contentDir, outDir, cron: cron ? config.schedule.cron : null, timezone: config.site.timezone, watch: !!options.watch },
  );
}
