import type http from 'node:http';
import path from 'node:path';
import { close, createHttpServer, listen, requestHandler, type RequestHandler, type Timeouts } from './listen.js';
import { BUILD_UNDER_WAY, type EarlyReads } from './early.js';
import { errorResponse, negotiationMemo, requestedKey, respond, type Request, type Response } from './respond.js';
import { EMPTY_SNAPSHOT, holdSnapshot, type ReloadResult, type Snapshot } from './snapshot.js';
import { watchManifest } from './watch.js';

export type { ReloadResult } from './snapshot.js';

export interface FeedServerOptions {
  /** The output folder: only the files its manifest lists are served. */
  outDir: string;
  /** Cache-Control max-age, seconds. Default 300. */
  maxAge?: number;
  /**
   * Brotli quality, 0–11. Default: 11 for files up to 64 KiB, 7 above. Variants
   * are made once per published version, in the background and off the event
   * loop, but on a small machine they share the cores with serving: quality 11
   * costs ~50× quality 7 (500 ms against 16 ms for 250 KB) for ~10 % fewer bytes.
   */
  brotliQuality?: number;
  /** How long a client may take to send its headers, its whole request, and to start another on a kept-alive connection (ms). */
  timeouts?: Partial<Timeouts>;
  /** Where reload problems and watcher errors are reported; the server itself never prints. */
  log?: (message: string) => void;
  /** Called after every reload, explicit or from watching. */
  onReload?: (result: ReloadResult) => void;
}

export interface FeedServer {
  /** The node:http server; its handler is `handle`. */
  readonly server: http.Server;
  readonly handle: RequestHandler;
  /**
   * Reads the published files again, checks them against the manifest and
   * swaps them in at once, uncompressed; their gzip and brotli codings follow
   * in the background (`compressed()`). The publisher calls it after a build
   * that wrote files, before pinging WebSub hubs (so a hub fetches the new
   * version). Calls during a reload coalesce into one more. Never rejects: on
   * failure the previous version stays served. The server may listen before
   * the first reload has finished (or been called): until then it answers
   * each request by reading the one file asked for (see `listed`).
   */
  reload(): Promise<ReloadResult>;
  /**
   * How many files are served: until the first reload has finished, how many the manifest lists
   * to serve (meanwhile each is read when asked for, checked against the manifest like the reload
   * checks it, and kept for it).
   */
  listed(): Promise<number>;
  /** Resolves once every file served has its gzip and brotli codings (until then a file is sent uncompressed, never held back). */
  compressed(): Promise<void>;
  /** Reloads whenever the manifest is replaced (for `feedpipe serve` next to a separate `feedpipe build`). Returns a stop function. */
  watch(): () => void;
  listen(port: number, host: string): Promise<{ port: number; host: string; url: string }>;
  /** Stops watching, compressing and listening, and ends open connections. */
  close(): Promise<void>;
}

/** The snapshot of `outDir`, answered over node:http by `respond`, reloaded on demand or when a build replaces the manifest. */
export function createFeedServer(options: FeedServerOptions): FeedServer {
  const outDir = path.resolve(options.outDir);
  const log = options.log ?? (() => undefined);
  const { brotliQuality } = options;
  const snapshots = holdSnapshot(outDir, {
    log,
    ...(brotliQuality === undefined ? {} : { quality: () => brotliQuality }),
    ...(options.onReload ? { onReload: options.onReload } : {}),
  });
  const cacheControl = `public, max-age=${options.maxAge ?? 300}`;
  const memo = negotiationMemo();
  const context = (snapshot: Snapshot) => ({ snapshot, cacheControl, now: Date.now(), memo });
  // One snapshot per response: a reload never mixes versions in it.
  const answer = (request: Request) => {
    const early = snapshots.early();
    return early ? answerEarly(request, early) : respond(request, context(snapshots.current()));
  };
  /** Before the first load has finished: the one file asked for, read on demand, then the same `respond`. */
  const answerEarly = (request: Request, early: EarlyReads): Response | Promise<Response> => {
    const key = requestedKey(request);
    if (key === undefined) return respond(request, context(EMPTY_SNAPSHOT));
    return early.resource(key).then((found) => {
      if (found === BUILD_UNDER_WAY) return errorResponse(503, 'a new version is being published; try again in a moment', request.method, { 'Retry-After': '1' });
      const resources = new Map(found ? [[key, found]] : []);
      return respond(request, context({ ...EMPTY_SNAPSHOT, resources }));
    });
  };
  const handle = requestHandler(answer, log);
  const server = createHttpServer(handle, options.timeouts);
  const stops: (() => void)[] = [];
  return {
    server,
    handle,
    reload: snapshots.reload,
    listed: snapshots.listed,
    compressed: snapshots.compressed,
    watch() {
      const stop = watchManifest(outDir, () => void snapshots.reload(), log);
      stops.push(stop);
      return stop;
    },
    listen: (port, host) => listen(server, port, host),
    async close() {
      for (const stop of stops.splice(0)) stop();
      snapshots.stop();
      await close(server);
    },
  };
}
