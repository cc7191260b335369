import { mapLimit } from '../util/map-limit.js';
import type { BuildReport } from '../build/build.js';
import { FEED_FILES } from '../publish/files.js';

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
 * the new version), and let the promise run. It never rejects.
 */

export interface PingOptions {
  /** Injected for tests; default the global fetch. */
  fetch?: typeof fetch;
  /** Retries after the first attempt, on network errors, timeouts, 429 and 5xx. Default 3. */
  retries?: number;
  /** First retry delay in ms, doubled each retry, with jitter. Default 1000. */
  backoffMs?: number;
  /** Per-request timeout in ms. Default 10 000. */
  timeoutMs?: number;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
  /** One line per failed ping (after its last attempt). */
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

/** The feed URLs among the files a build wrote (paths relative to the output folder), absolute against site.url. */
export function changedFeedUrls(written: readonly string[], siteUrl: string): string[] {
  const feedNames = new Set(Object.values(FEED_FILES));
  return written.filter((rel) => feedNames.has(rel.slice(rel.lastIndexOf('/') + 1))).map((rel) => new URL(rel, siteUrl).toString());
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
 * or run out of retries; it never rejects, and nothing needs to await it.
 */
export async function announcePublish(report: BuildReport, options: AnnounceOptions = {}): Promise<{ pings: Promise<PingResult[]> }> {
  const changed = !!report.ok && !!report.write && (report.write.written.length > 0 || report.write.removed.length > 0);
  if (changed && options.reload) {
    try {
      await options.reload();
    } catch (e) {
      options.log?.(`feedpipe: reloading the server failed: ${(e as Error).message}`);
    }
  }
  const { hubs, urls } = hubPingsFor(report);
  return { pings: urls.length ? pingHubs(hubs, urls, options) : Promise.resolve([]) };
}

export async function pingHubs(hubs: readonly string[], feedUrls: readonly string[], options: PingOptions = {}): Promise<PingResult[]> {
  const jobs = hubs.flatMap((hub) => feedUrls.map((url) => ({ hub, url })));
  return mapLimit(jobs, options.concurrency ?? 4, (job) => pingOne(job.hub, job.url, options));
}

async function pingOne(hub: string, url: string, options: PingOptions): Promise<PingResult> {
  const doFetch = options.fetch ?? fetch;
  const retries = options.retries ?? 3;
  const backoff = options.backoffMs ?? 1000;
  const body = new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': url }).toString();
  let last: PingResult = { hub, url, ok: false, attempts: 0 };
  const stopped = () => ({ hub, url, ok: false, attempts: last.attempts, error: 'stopped' });
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    if (options.signal?.aborted) return stopped();
    let retryAfterMs: number | undefined;
    try {
      const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
      const response = await doFetch(hub, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body,
        redirect: 'follow',
        signal: options.signal ? AbortSignal.any([timeout, options.signal]) : timeout,
      });
      await response.body?.cancel().catch(() => undefined);
      last = { hub, url, ok: response.ok, attempts: attempt, status: response.status };
      if (response.ok) return last;
      last.error = `hub answered ${response.status}`;
      // Other 4xx: the hub refuses this request; asking again will not change that.
      if (response.status !== 429 && response.status < 500) break;
      retryAfterMs = retryAfter(response.headers.get('retry-after'));
    } catch (e) {
      last = { hub, url, ok: false, attempts: attempt, error: (e as Error).name === 'TimeoutError' ? 'timed out' : describe(e) };
    }
    if (attempt <= retries) {
      const delay = retryAfterMs ?? backoff * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
      await sleep(Math.min(delay, 60_000), options.signal);
    }
  }
  if (options.signal?.aborted) return stopped();
  try {
    options.log?.(`feedpipe: WebSub hub ${hub} was not told about ${url} after ${last.attempts} attempt${last.attempts === 1 ? '' : 's'}: ${last.error}`);
  } catch {
    // a failing logger must not turn into a rejection
  }
  return last;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
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
function retryAfter(value: string | null): number | undefined {
  return value && /^\d{1,4}$/.test(value.trim()) ? Number(value) * 1000 : undefined;
}

function describe(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  return err.cause?.code ? `${err.message} (${err.cause.code})` : err.message;
}
