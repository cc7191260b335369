import { etagMatches, etagMatchesStrongly, parseHttpDate, prefersGenericXml, rankEncodings, type Coding } from './headers.js';
import { resolveRequestPath } from './path.js';
import type { Representation, Representations } from './resource.js';
import type { Snapshot } from './snapshot.js';

/**
 * The whole of what the server answers, as a pure function of the request,
 * the snapshot and the clock: no socket, no disk. The node:http side only
 * writes the Response it returns (listen.ts).
 */

export interface RequestHeaders {
  readonly accept?: string;
  readonly 'accept-encoding'?: string;
  readonly 'if-match'?: string;
  readonly 'if-none-match'?: string;
  readonly 'if-modified-since'?: string;
  readonly 'if-unmodified-since'?: string;
}

export interface Request {
  readonly method?: string | undefined;
  /** The request target as sent (`/feed.xml?x=1`, absolute-form too). */
  readonly url?: string | undefined;
  readonly headers: RequestHeaders;
}

export interface Response {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Absent for 304 and HEAD; the headers still say what GET would send. */
  readonly body?: Buffer;
}

export interface RespondContext {
  readonly snapshot: Snapshot;
  /** The Cache-Control value of every published file. */
  readonly cacheControl: string;
  /** The response's time (ms since the epoch): Last-Modified is never later. */
  readonly now: number;
  /** Remembers what repeated header values negotiate to; a fresh one per server. */
  readonly memo?: NegotiationMemo;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 412: 'Precondition Failed', 500: 'Internal Server Error', 503: 'Service Unavailable' };

/** Our pages have no script, load nothing from elsewhere and embed nothing. */
const PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** An error: one line of text, never cached, never a trace. */
export function errorResponse(status: number, message: string, method: string | undefined, extra: Record<string, string> = {}): Response {
  const body = Buffer.from(`${status} ${STATUS_TEXT[status] ?? ''}: ${message}\n`);
  const headers = {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(body.length),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...extra,
  };
  return method === 'HEAD' ? { status, headers } : { status, headers, body };
}

/** What a request names: the key of a published file in a snapshot, or the error it gets without one being looked up. */
function targetOf(request: Request): { key: string } | { error: Response } {
  const { method } = request;
  if (method !== 'GET' && method !== 'HEAD') return { error: errorResponse(405, 'only GET and HEAD', method, { Allow: 'GET, HEAD' }) };
  const target = resolveRequestPath(request.url);
  return target.ok ? { key: target.key } : { error: errorResponse(target.status, target.reason, method) };
}

/** The published file a request asks for (a snapshot key), or undefined when it is answered without one (405, 400, a dotfile's 404). */
export function requestedKey(request: Request): string | undefined {
  const target = targetOf(request);
  return 'key' in target ? target.key : undefined;
}

export function respond(request: Request, context: RespondContext): Response {
  const { method } = request;
  const target = targetOf(request);
  if ('error' in target) return target.error;
  const resource = context.snapshot.resources.get(target.key);
  if (!resource) return errorResponse(404, 'not found', method);

  const memo = context.memo ?? UNCACHED;
  const ae = request.headers['accept-encoding'];
  const rep = ae === undefined ? resource.representations.identity : firstReady(resource.representations, memo.codings(ae));
  const { kind } = resource;
  const accept = request.headers.accept;
  const asXml = kind.alternative !== undefined && accept !== undefined && memo.prefersGenericXml(accept, kind.mediaType);
  const etag = asXml ? rep.alternativeEtag : rep.etag;

  const headers: Record<string, string> = {
    'Cache-Control': context.cacheControl,
    ETag: etag,
    Vary: resource.vary,
    'X-Content-Type-Options': 'nosniff',
  };
  if (resource.lastModifiedMs !== undefined) {
    // RFC 9110 8.8.2.1: never later than the response's Date.
    headers['Last-Modified'] = resource.lastModifiedMs > context.now ? new Date(context.now).toUTCString() : resource.lastModified!;
  }
  if (kind.feed) {
    // Web readers fetch feeds (JSON Feed above all) from the browser.
    headers['Access-Control-Allow-Origin'] = '*';
    headers['Access-Control-Expose-Headers'] = 'ETag';
  }
  if (kind.html) headers['Content-Security-Policy'] = PAGE_POLICY;

  const condition = evaluatePreconditions(request.headers, etag, resource.lastModifiedMs);
  // A failed precondition describes no representation: an error, with no validators.
  if (condition === 412) return errorResponse(412, 'precondition failed', method, { Vary: resource.vary });
  if (condition === 304) return { status: 304, headers };
  headers['Content-Type'] = asXml ? kind.alternative! : kind.type;
  headers['Content-Length'] = rep.length;
  if (rep.encoding) headers['Content-Encoding'] = rep.encoding;
  return method === 'HEAD' ? { status: 200, headers } : { status: 200, headers, body: rep.body };
}

/** The client's most preferred coding that is made already; identity always is, and a file is never held back for its compression. */
function firstReady(representations: Representations, ranked: readonly Coding[]): Representation {
  for (const coding of ranked) {
    const rep = representations[coding];
    if (rep) return rep;
  }
  return representations.identity;
}

/**
 * The preconditions of a GET or HEAD in the order of RFC 9110 13.2.2: If-Match
 * (strong comparison, 13.1.1), or If-Unmodified-Since only without it (13.1.4);
 * when false, 412. Then If-None-Match (weak comparison, 13.1.2), or
 * If-Modified-Since only without it (13.1.3); when the client's copy is
 * current, 304. A date that is not an HTTP-date is ignored, as the RFC says.
 * Last-Modified is compared as stored, even when later than the response's Date:
 * a file from the future is never "not modified" and never "unmodified since".
 */
function evaluatePreconditions(headers: RequestHeaders, etag: string, lastModifiedMs: number | undefined): 200 | 304 | 412 {
  const im = headers['if-match'];
  if (im !== undefined) {
    if (!etagMatchesStrongly(im, etag)) return 412;
  } else {
    const since = dateOf(headers['if-unmodified-since']);
    if (since !== undefined && lastModifiedMs !== undefined && lastModifiedMs > since) return 412;
  }
  const inm = headers['if-none-match'];
  if (inm !== undefined) return etagMatches(inm, etag) ? 304 : 200;
  const since = dateOf(headers['if-modified-since']);
  return since !== undefined && lastModifiedMs !== undefined && lastModifiedMs <= since ? 304 : 200;
}

const dateOf = (value: string | undefined): number | undefined => (value === undefined ? undefined : parseHttpDate(value));

export interface NegotiationMemo {
  /** The codings `acceptEncoding` accepts, best first (rankEncodings). */
  codings(acceptEncoding: string): readonly Coding[];
  prefersGenericXml(accept: string, feedType: string): boolean;
}

const UNCACHED: NegotiationMemo = { codings: rankEncodings, prefersGenericXml };

/** Header values repeat (a few browsers and readers): remember what they negotiate to, up to a bound. */
export function negotiationMemo(max = 256): NegotiationMemo {
  const codings = new BoundedCache<readonly Coding[]>(max);
  const generic = new BoundedCache<boolean>(max);
  return {
    codings: (ae) => codings.get(ae, () => rankEncodings(ae)),
    prefersGenericXml: (accept, feedType) => generic.get(`${feedType} ${accept}`, () => prefersGenericXml(accept, feedType)),
  };
}

/** Cleared when full, so hostile variety costs memory only up to a bound. */
class BoundedCache<T> {
  private readonly map = new Map<string, T>();
  constructor(private readonly max: number) {}
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
