import { createHash } from 'node:crypto';
import { unwatchFile, watch, watchFile, type FSWatcher, type Stats } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import http, { STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { etagMatches, negotiateEncoding, parseHttpDate, prefersGenericXml, type Coding } from './headers.js';
import { mapLimit } from '../util/map-limit.js';
import { resolveRequestPath } from './path.js';
import { FEED_FILES, MIME, MANIFEST } from '../publish/files.js';
import { parseManifest } from '../publish/manifest.js';

export interface FeedServerOptions {
  /** The output folder: only the files its manifest lists are served. */
  outDir: string;
  /** Cache-Control max-age, seconds. Default 300. */
  maxAge?: number;
  /**
   * Brotli quality, 0–11. Default: 11 for files up to 64 KiB, 7 above. Variants
   * are made once per published version, off the event loop, but on a small
   * machine they share the cores with serving: quality 11 costs ~50× quality 7
   * (500 ms against 16 ms for 250 KB) for ~10 % fewer bytes.
   */
  brotliQuality?: number;
  /** Where reload problems and watcher errors are reported; the server itself never prints. */
  log?: (message: string) => void;
  /** Called after every reload, explicit or from watching. */
  onReload?: (result: ReloadResult) => void;
}

export interface ReloadResult {
  ok: boolean;
  /** Files now served. */
  files: number;
  /** Files whose bytes differ from the previous snapshot (compressed anew). */
  changed: number;
  ms: number;
  error?: string;
}

export interface FeedServer {
  /** The node:http server; its handler is `handle`. */
  readonly server: http.Server;
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * Reads the published files again and swaps them in at once. The publisher
   * calls it after a build that wrote files, before pinging WebSub hubs (so a
   * hub fetches the new version). Calls during a reload coalesce into one more.
   * Never rejects: on failure the previous version stays served.
   */
  reload(): Promise<ReloadResult>;
  /** Reloads whenever the manifest is replaced (for `feedpipe serve` next to a separate `feedpipe build`). Returns a stop function. */
  watch(): () => void;
  listen(port: number, host: string): Promise<{ port: number; host: string; url: string }>;
  /** Stops watching and listening, and ends open connections. */
  close(): Promise<void>;
}

type Kind = { type: string; mediaType: string; alternative?: string; feed: boolean; html: boolean };

/**
 * What the server sends for each published file, by name. RSS and Atom have an
 * alternative, application/xml, for browsers (see prefersGenericXml).
 */
function kindOf(rel: string): Kind | undefined {
  const base = rel.slice(rel.lastIndexOf('/') + 1);
  const utf8 = (t: string) => `${t}; charset=utf-8`;
  if (base === FEED_FILES.rss) return { type: utf8(MIME.rss), mediaType: MIME.rss, alternative: utf8('application/xml'), feed: true, html: false };
  if (base === FEED_FILES.atom) return { type: utf8(MIME.atom), mediaType: MIME.atom, alternative: utf8('application/xml'), feed: true, html: false };
  if (base === FEED_FILES.json) return { type: utf8(MIME.json), mediaType: MIME.json, feed: true, html: false };
  if (base.endsWith('.html')) return { type: utf8('text/html'), mediaType: 'text/html', feed: false, html: true };
  if (base.endsWith('.xsl')) return { type: utf8('text/xsl'), mediaType: 'text/xsl', feed: false, html: false };
  return undefined;
}

/** Our pages have no script, load nothing from elsewhere and embed nothing. */
const PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface Representation {
  body: Buffer;
  length: string;
  encoding?: 'gzip' | 'br';
  /** Strong validators, one per representation (RFC 9110 8.8.3): per coding and per type. */
  etag: string;
  alternativeEtag: string;
}

interface Resource {
  sha256: string;
  kind: Kind;
  vary: string;
  lastModifiedMs?: number;
  lastModified?: string;
  representations: Record<Coding, Representation>;
}

interface Snapshot {
  manifestText: string;
  /** Every file had a hash in the manifest: an identical manifest then means identical files. */
  verified: boolean;
  resources: ReadonlyMap<string, Resource>;
}

/** A file did not match the manifest read just before: a build is under way. */
class BuildInProgress extends Error {}

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);
const RELOAD_ATTEMPTS = 6;

export function createFeedServer(options: FeedServerOptions): FeedServer {
  const outDir = path.resolve(options.outDir);
  const manifestPath = path.join(outDir, MANIFEST);
  const cacheControl = `public, max-age=${options.maxAge ?? 300}`;
  const quality = (size: number) => options.brotliQuality ?? (size <= 64 * 1024 ? 11 : 7);
  const log = options.log ?? (() => undefined);
  let current: Snapshot = { manifestText: '', verified: false, resources: new Map() };

  // Header values repeat (a few browsers and readers); remember what they negotiate to.
  const codings = new BoundedCache<Coding>();
  const generic = new BoundedCache<boolean>();

  function handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      respond(req, res);
    } catch (e) {
      // Never a stack trace to the client; the operator gets the message.
      log(`feedpipe serve: internal error on ${JSON.stringify(req.url?.slice(0, 200))}: ${(e as Error).message}`);
      if (!res.headersSent) sendError(res, 500, 'internal error');
      else res.destroy();
    }
  }

  function respond(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return sendError(res, 405, 'only GET and HEAD', { Allow: 'GET, HEAD' });
    const target = resolveRequestPath(req.url);
    if (!target.ok) return sendError(res, target.status, target.reason);
    // One snapshot for the whole response: a reload never mixes versions in it.
    const resource = current.resources.get(target.key);
    if (!resource) return sendError(res, 404, 'not found');

    const ae = req.headers['accept-encoding'];
    const coding = ae === undefined ? 'identity' : codings.get(ae, () => negotiateEncoding(ae));
    const rep = resource.representations[coding];
    const accept = req.headers.accept;
    const { kind } = resource;
    const asXml = kind.alternative !== undefined && accept !== undefined && generic.get(`${kind.mediaType} ${accept}`, () => prefersGenericXml(accept, kind.mediaType));
    const etag = asXml ? rep.alternativeEtag : rep.etag;

    const headers: OutgoingHttpHeaders = {
      'Cache-Control': cacheControl,
      ETag: etag,
      Vary: resource.vary,
      'X-Content-Type-Options': 'nosniff',
    };
    if (resource.lastModifiedMs !== undefined) {
      // RFC 9110 8.8.2.1: never later than the response's Date.
      headers['Last-Modified'] = resource.lastModifiedMs > Date.now() ? new Date().toUTCString() : resource.lastModified;
    }
    if (kind.feed) {
      // Web readers fetch feeds (JSON Feed above all) from the browser.
      headers['Access-Control-Allow-Origin'] = '*';
      headers['Access-Control-Expose-Headers'] = 'ETag';
    }
    if (kind.html) headers['Content-Security-Policy'] = PAGE_POLICY;

    // RFC 9110 13.2.2: If-None-Match first; If-Modified-Since only without it.
    const inm = req.headers['if-none-match'];
    let notModified = false;
    if (inm !== undefined) notModified = etagMatches(inm, etag);
    else if (resource.lastModifiedMs !== undefined) {
      const ims = req.headers['if-modified-since'];
      const since = ims === undefined ? undefined : parseHttpDate(ims);
      notModified = since !== undefined && resource.lastModifiedMs <= since;
    }
    if (notModified) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    headers['Content-Type'] = asXml ? kind.alternative : kind.type;
    headers['Content-Length'] = rep.length;
    if (rep.encoding) headers['Content-Encoding'] = rep.encoding;
    res.writeHead(200, headers);
    if (method === 'HEAD') res.end();
    else res.end(rep.body);
  }

  async function loadOnce(): Promise<{ snapshot: Snapshot; changed: number }> {
    let manifestText: string;
    try {
      manifestText = await readFile(manifestPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      manifestText = '';
    }
    if (current.verified && manifestText === current.manifestText) return { snapshot: current, changed: 0 };
    const manifest = parseManifest(manifestText);
    const root = manifestText ? await realpath(outDir) : outDir;
    const previous = new Map([...current.resources.values()].map((r) => [r.sha256, r]));
    const resources = new Map<string, Resource>();
    let changed = 0;
    // Two files at a time: compression runs on libuv's threads, and the cores are shared with serving.
    await mapLimit(manifest.files, 2, async (rel) => {
      const kind = kindOf(rel);
      if (!kind || rel.split('/').some((s) => s.startsWith('.'))) return;
      let real: string;
      let bytes: Buffer;
      try {
        real = await realpath(path.join(root, rel));
        bytes = await readFile(real);
      } catch (e) {
        // Listed but gone: a newer build removed it after we read the manifest.
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new BuildInProgress(`${rel} is missing`);
        throw e;
      }
      // Only files inside the output folder, even through a symlink someone put there.
      if (!real.startsWith(root + path.sep)) {
        log(`feedpipe serve: not serving ${rel}: it resolves outside ${outDir}`);
        return;
      }
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const published = manifest.published[rel];
      if (published && published.sha256 !== sha256) throw new BuildInProgress(`${rel} does not match the manifest`);
      const lastModifiedMs = published ? Date.parse(published.lastModified) : Math.floor((await stat(real)).mtimeMs / 1000) * 1000;
      const reused = previous.get(sha256);
      if (!reused) changed++;
      const representations = reused?.representations ?? (await represent(bytes, sha256, quality(bytes.length)));
      resources.set(rel, {
        sha256,
        kind,
        vary: kind.alternative ? 'Accept-Encoding, Accept' : 'Accept-Encoding',
        lastModifiedMs,
        lastModified: new Date(lastModifiedMs).toUTCString(),
        representations,
      });
    });
    const verified = manifest.files.length > 0 && manifest.files.every((rel) => manifest.published[rel]);
    const removed = [...current.resources.keys()].filter((k) => !resources.has(k)).length;
    return { snapshot: { manifestText, verified, resources }, changed: changed + removed };
  }

  async function reloadNow(): Promise<ReloadResult> {
    const result = await attemptReload();
    try {
      options.onReload?.(result);
    } catch {
      // a listener's failure is not the reload's
    }
    return result;
  }

  async function attemptReload(): Promise<ReloadResult> {
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const { snapshot, changed } = await loadOnce();
        current = snapshot; // the swap: one assignment, so every response sees one version
        return { ok: true, files: snapshot.resources.size, changed, ms: performance.now() - started };
      } catch (e) {
        const message = (e as Error).message;
        if (e instanceof BuildInProgress && attempt < RELOAD_ATTEMPTS) {
          await sleep(25 * 2 ** attempt);
          continue;
        }
        log(`feedpipe serve: could not reload ${outDir}; still serving the previous version: ${message}`);
        return { ok: false, files: current.resources.size, changed: 0, ms: performance.now() - started, error: message };
      }
    }
  }

  let running: Promise<ReloadResult> | undefined;
  let queued: Promise<ReloadResult> | undefined;
  function reload(): Promise<ReloadResult> {
    if (queued) return queued;
    if (!running) {
      running = reloadNow().finally(() => (running = undefined));
      return running;
    }
    // A reload is under way and may have read the manifest already: run once more after it.
    queued = running.then(() => {
      queued = undefined;
      return reload();
    });
    return queued;
  }

  function watchManifest(): () => void {
    let timer: NodeJS.Timeout | undefined;
    const trigger = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void reload(), 30);
    };
    let watcher: FSWatcher | undefined;
    try {
      // The manifest is renamed into place after every file it lists: watch the folder for its name.
      watcher = watch(outDir, { persistent: false }, (_event, name) => {
        if (name === MANIFEST) trigger();
      });
      watcher.on('error', (e) => log(`feedpipe serve: watching ${outDir} failed (${e.message}); polling only`));
    } catch (e) {
      log(`feedpipe serve: cannot watch ${outDir} (${(e as Error).message}); polling only`);
    }
    // A safety net where folder events are unreliable (network and container mounts) or the folder is replaced.
    const poll = (now: Stats, before: Stats) => {
      if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino) trigger();
    };
    watchFile(manifestPath, { interval: 1000, persistent: false }, poll);
    return () => {
      clearTimeout(timer);
      watcher?.close();
      unwatchFile(manifestPath, poll);
    };
  }

  const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, handle);
  // Malformed requests never reach the handler: answer 400 (431 for huge headers) and close, never a trace.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });

  // CONNECT and Upgrade never reach the request handler; without these, node would drop the socket unanswered.
  const refuse = (_req: IncomingMessage, socket: import('node:stream').Duplex) => {
    socket.on('error', () => undefined);
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  };
  server.on('connect', refuse);

  const stops: (() => void)[] = [];
  return {
    server,
    handle,
    reload,
    watch() {
      const stop = watchManifest();
      stops.push(stop);
      return stop;
    },
    listen(port, host) {
      return new Promise((resolve, reject) => {
        const onError = (e: Error) => reject(e);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const address = server.address() as AddressInfo;
          const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({ port: address.port, host: address.address, url: `http://${shown}:${address.port}/` });
        });
      });
    },
    async close() {
      for (const stop of stops.splice(0)) stop();
      if (!server.listening) return;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The three codings of one file, made once per version of its bytes. */
async function represent(bytes: Buffer, sha256: string, quality: number): Promise<Record<Coding, Representation>> {
  const [gz, br] = await Promise.all([
    gzip(bytes, { level: 9 }),
    brotli(bytes, {
      params: {
        [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
        [zlib.constants.BROTLI_PARAM_QUALITY]: quality,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
  ]);
  // 128 bits of the content hash: strong, and the same on every server with the same bytes.
  const tag = Buffer.from(sha256.slice(0, 32), 'hex').toString('base64url');
  const rep = (body: Buffer, suffix: string, encoding?: 'gzip' | 'br'): Representation => ({
    body,
    length: String(body.length),
    ...(encoding ? { encoding } : {}),
    etag: `"${tag}${suffix}"`,
    alternativeEtag: `"${tag}-xml${suffix}"`,
  });
  return { identity: rep(bytes, ''), gzip: rep(gz, '-gz', 'gzip'), br: rep(br, '-br', 'br') };
}

function sendError(res: ServerResponse, status: number, message: string, extra: OutgoingHttpHeaders = {}): void {
  const body = `${status} ${STATUS_CODES[status] ?? ''}: ${message}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...extra,
  });
  res.end(body); // node sends no body for HEAD
}

/** A small memo for header values; cleared when full, so hostile variety costs memory only up to a bound. */
class BoundedCache<T> {
  private readonly map = new Map<string, T>();
  constructor(private readonly max = 256) {}
  get(key: string, compute: () => T): T {
    let value = this.map.get(key);
    if (value === undefined) {
      value = compute();
      if (this.map.size >= this.max) this.map.clear();
      if (key.length <= 512) this.map.set(key, value);
    }
    return value;
  }
}


function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
