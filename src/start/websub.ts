import http from 'node:http';
import https from 'node:https';
import { mapLimit } from '../util/map-limit.js';
import type { BuildReport } from '../build/build.js';
import { FEED_FILES, isArchivePath } from '../publish/files.js';

/**
 * WebSub publishing (https://www.w3.org/TR/websub/): after a build that
 * changed a feed's bytes, tell each hub the feed's URL; the hub fetches it and
 * pushes it to subscribers. The spec leaves the ping to hubs; every public hub
 * takes the PubSubHubbub form used here: POST, form-encoded,
 * `hub.mode=publish&hub.url=<topic URL>`. One request per URL, as not every
 * hub accepts several `hub.url` in one.
 *
 * The publish never waits for or fails on a hub: call pingHubs after the files
 * are written (and after the server serving them reloaded, so a hub fetches
 * the new version). It never rejects. With `deadlineMs` it settles by then
 * whatever the hubs do (refuse, time out, accept and never answer), and leaves
 * no socket open: each request has a socket of its own (`agent: false`), which
 * an abort destroys, connecting or not.
 */

export interface PingOptions {
  /** Injected for tests; default a POST over node's http/https with a socket of its own. */
  fetch?: typeof fetch;
  /** Retries after the first attempt, on network errors, timeouts, 429 and 5xx. Default 3. */
  retries?: number;
  /** First retry delay in ms, doubled each retry, with jitter. Default 1000. */
  backoffMs?: number;
  /** Per-request timeout in ms. Default 10 000. */
  timeoutMs?: number;
  /** All pings together end by then (ms from the call): what is under way is abandoned, no retry is made after it. */
  deadlineMs?: number;
  /** Requests in flight at once to each hub (hubs are pinged side by side). Default 4. */
  concurrency?: number;
  /** One line per hub that was not told about every feed (after the last attempts). */
  log?: (message: string) => void;
  /** Abandons pings under way and retries not yet made (a publisher stopping). */
  signal?: AbortSignal;
}

export interface PingResult {
  hub: string;
  url: string;
  ok: boolean;
  attempts: number;
  /** The hub's last HTTP status, if it answered. */
  status?: number;
  error?: string;
}

/**
 * The feed URLs among the files a build wrote (paths relative to the output folder), absolute against
 * site.url. Not an archive page's: it advertises no hub (publish/archive.ts), and no one subscribes to it.
 */
export function changedFeedUrls(written: readonly string[], siteUrl: string): string[] {
  const feedNames = new Set(Object.values(FEED_FILES));
  return written.filter((rel) => feedNames.has(rel.slice(rel.lastIndexOf('/') + 1)) && !isArchivePath(rel)).map((rel) => new URL(rel, siteUrl).toString());
}

/** What to ping after `report`: its hubs and the URLs of the feeds it rewrote (none if it wrote nothing). */
export function hubPingsFor(report: BuildReport): { hubs: string[]; urls: string[] } {
  const hubs = report.config?.websub.hubs ?? [];
  if (!report.ok || !report.write || !report.config || !hubs.length) return { hubs: [], urls: [] };
  return { hubs: [...hubs], urls: changedFeedUrls(report.write.written, report.config.site.url) };
}

export interface AnnounceOptions extends PingOptions {
  /** Makes the new files served before any hub is told: a server in this process (FeedServer.reload). */
  reload?: () => Promise<unknown>;
}

/**
 * What a publisher does after every build: if it wrote or removed files, make
 * them served (awaits `reload`), then ping the hubs about the feeds whose
 * bytes changed, without waiting. `pings` settles when every hub has answered
 * or run out of retries (or at `deadlineMs`); it never rejects, and nothing needs to await it.
 */
export async function announcePublish(report: BuildReport, options: AnnounceOptions = {}): Promise<{ pings: Promise<PingResult[]> }> {
  await reloadIfChanged(report, options);
  const { hubs, urls } = hubPingsFor(report);
  return { pings: urls.length ? pingHubs(hubs, urls, options) : Promise.resolve([]) };
}

async function reloadIfChanged(report: BuildReport, options: AnnounceOptions): Promise<void> {
  const changed = !!report.ok && !!report.write && (report.write.written.length > 0 || report.write.removed.length > 0);
  if (!changed || !options.reload) return;
  try {
    await options.reload();
  } catch (e) {
    options.log?.(`feedpipe: reloading the server failed: ${(e as Error).message}`);
  }
}

/**
 * A long-running publisher's announcements: pings run in the background, one
 * batch per hub at a time (a hub that hangs never collects a pile of
 * connections), and the feeds a hub was not told about are told again with
 * the next change, rather than retried against a hub that is down.
 */
export function createAnnouncer(options: AnnounceOptions = {}): (report: BuildReport) => Promise<{ pings: Promise<PingResult[]> }> {
  const hubs = new Map<string, { busy: boolean; fresh: Set<string>; owed: Set<string> }>();
  const send = (hub: string, timeoutMs: number): Promise<PingResult[]> => {
    const state = hubs.get(hub)!;
    const urls = [...new Set([...state.fresh, ...state.owed])];
    state.fresh.clear();
    state.owed.clear();
    state.busy = true;
    const { log, ...pingOptions } = options;
    return pingHubs([hub], urls, { timeoutMs, ...pingOptions }).then((results) => {
      // Owed: what failed on the way or at a hub that is down or busy; a hub that refused a URL (4xx) refuses it again.
      const owed = results.filter((r) => !r.ok && r.error !== 'stopped' && (r.status === undefined || r.status === 429 || r.status >= 500));
      for (const r of owed) state.owed.add(r.url);
      const line = failureLine(hub, results);
      if (line && !options.signal?.aborted) safely(log, owed.length ? `${line}; ${owed.length === 1 ? 'it goes' : 'they go'} out again with the next change` : line);
      state.busy = false;
      // A change came while this batch was out: its feeds (and any still owed) go now.
      if (state.fresh.size && !options.signal?.aborted) void send(hub, timeoutMs);
      return results;
    });
  };
  return async (report) => {
    await reloadIfChanged(report, options);
    const { hubs: configured, urls } = hubPingsFor(report);
    if (!urls.length) return { pings: Promise.resolve([]) };
    for (const hub of hubs.keys()) if (!configured.includes(hub)) hubs.delete(hub);
    const timeoutMs = (report.config?.websub.timeout ?? 10) * 1000;
    const batches: Promise<PingResult[]>[] = [];
    for (const hub of configured) {
      if (!hubs.has(hub)) hubs.set(hub, { busy: false, fresh: new Set(), owed: new Set() });
      const state = hubs.get(hub)!;
      for (const url of urls) state.fresh.add(url);
      if (!state.busy) batches.push(send(hub, timeoutMs));
    }
    return { pings: Promise.all(batches).then((all) => all.flat()) };
  };
}

/** Every hub about every URL; each hub on its own, so a hub that hangs holds up only its own pings. */
export async function pingHubs(hubs: readonly string[], feedUrls: readonly string[], options: PingOptions = {}): Promise<PingResult[]> {
  const deadline = options.deadlineMs !== undefined ? AbortSignal.timeout(options.deadlineMs) : undefined;
  const ends = [options.signal, deadline].filter((s): s is AbortSignal => !!s);
  const run: Run = { options, deadline, ended: ends.length ? AbortSignal.any(ends) : undefined };
  const perHub = await Promise.all(
    hubs.map(async (hub) => {
      const results = await mapLimit(feedUrls, options.concurrency ?? 4, (url) => pingOne(hub, url, run));
      const line = failureLine(hub, results);
      if (line && !options.signal?.aborted) safely(options.log, line);
      return results;
    }),
  );
  return perHub.flat();
}

interface Run {
  options: PingOptions;
  /** Aborts at deadlineMs. */
  deadline: AbortSignal | undefined;
  /** Aborts at the deadline or when the caller stops. */
  ended: AbortSignal | undefined;
}

async function pingOne(hub: string, url: string, run: Run): Promise<PingResult> {
  const { options } = run;
  const retries = options.retries ?? 3;
  const backoff = options.backoffMs ?? 1000;
  const body = new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': url }).toString();
  let last: PingResult = { hub, url, ok: false, attempts: 0 };
  for (let attempt = 1; attempt <= retries + 1 && !run.ended?.aborted; attempt++) {
    const { answer, retry, retryAfterMs } = await attemptOnce(hub, body, run);
    last = { hub, url, attempts: attempt, ...answer };
    if (answer.ok || !retry) break;
    if (attempt <= retries) await sleep(Math.min(retryAfterMs ?? backoff * 2 ** (attempt - 1) * (0.75 + Math.random() / 2), 60_000), run.ended);
  }
  if (options.signal?.aborted) return { hub, url, ok: false, attempts: last.attempts, error: 'stopped' };
  if (!last.ok && run.deadline?.aborted && (last.attempts === 0 || last.error === 'timed out')) {
    last.error = `no answer within ${seconds(options.deadlineMs!)}`;
  }
  return last;
}

interface Attempt {
  answer: Pick<PingResult, 'ok' | 'status' | 'error'>;
  /** Worth asking again: a network error, a timeout, 429 or 5xx. */
  retry: boolean;
  retryAfterMs?: number;
}

async function attemptOnce(hub: string, body: string, run: Run): Promise<Attempt> {
  const timeout = AbortSignal.timeout(run.options.timeoutMs ?? 10_000);
  const signal = run.ended ? AbortSignal.any([timeout, run.ended]) : timeout;
  try {
    const { status, retryAfter } = run.options.fetch ? await viaFetch(run.options.fetch, hub, body, signal) : await postForm(hub, body, signal);
    if (status >= 200 && status < 300) return { answer: { ok: true, status }, retry: false };
    // Other 4xx: the hub refuses this request; asking again will not change that.
    const retryAfterMs = retryAfterOf(retryAfter);
    return { answer: { ok: false, status, error: `hub answered ${status}` }, retry: status === 429 || status >= 500, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  } catch (e) {
    return { answer: { ok: false, error: signal.aborted ? 'timed out' : describe(e) }, retry: true };
  }
}

interface HubAnswer {
  status: number;
  retryAfter: string | null;
}

const FORM = 'application/x-www-form-urlencoded';
/** Followed with the same POST (a hub that moved); a 303 would turn it into a GET, which pings nothing. */
const REDIRECTS = new Set([301, 302, 307, 308]);

/**
 * POSTs the form on a socket of its own (`agent: false`: no pool, `Connection:
 * close`), so an aborted ping leaves nothing open that keeps the process alive,
 * whether it was connecting, sending or waiting for an answer.
 */
function postForm(url: string, body: string, signal: AbortSignal, redirectsLeft = 5): Promise<HubAnswer> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
  if (!client) throw new Error(`not an http(s) URL: ${url}`);
  return new Promise((resolve, reject) => {
    const headers = { 'Content-Type': FORM, 'Content-Length': Buffer.byteLength(body), 'User-Agent': 'feedpipe (WebSub publisher)' };
    const request = client.request(target, { method: 'POST', agent: false, signal, headers }, (response) => {
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      const retryAfter = response.headers['retry-after'];
      response.destroy(); // the body tells us nothing
      if (!REDIRECTS.has(status) || !location || redirectsLeft === 0) return resolve({ status, retryAfter: typeof retryAfter === 'string' ? retryAfter : null });
      const next = new URL(location, target);
      if (target.protocol === 'https:' && next.protocol !== 'https:') return reject(new Error(`the hub redirected from https to ${next.protocol}`));
      postForm(next.href, body, signal, redirectsLeft - 1).then(resolve, reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

async function viaFetch(doFetch: typeof fetch, hub: string, body: string, signal: AbortSignal): Promise<HubAnswer> {
  const response = await doFetch(hub, { method: 'POST', headers: { 'Content-Type': FORM }, body, redirect: 'follow', signal });
  await response.body?.cancel().catch(() => undefined);
  return { status: response.status, retryAfter: response.headers.get('retry-after') };
}

/** One line for a hub that was not told about every feed: which, and why; undefined if it was told everything. */
function failureLine(hub: string, results: readonly PingResult[]): string | undefined {
  const failed = results.filter((r) => !r.ok);
  if (!failed.length) return undefined;
  const why = [...new Set(failed.map((r) => r.error ?? 'no answer'))].join('; ');
  if (failed.length > 1) return `feedpipe: WebSub hub ${hub} was not told about ${failed.length} of ${results.length} feeds: ${why}`;
  const { url, attempts } = failed[0]!;
  return `feedpipe: WebSub hub ${hub} was not told about ${url} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${why}`;
}

function safely(log: ((message: string) => void) | undefined, line: string): void {
  try {
    log?.(line);
  } catch {
    // a failing logger must not turn into a rejection
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (or already has: its event is long gone). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Retry-After in seconds (the HTTP-date form is rare from hubs and ignored). */
function retryAfterOf(value: string | null): number | undefined {
  return value && /^\d{1,4}$/.test(value.trim()) ? Number(value) * 1000 : undefined;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function describe(e: unknown): string {
  const err = e as Error & { code?: string; cause?: { code?: string; message?: string } };
  if (err.cause?.code) return `${err.message} (${err.cause.code})`;
  return err.message ?? String(e);
}
