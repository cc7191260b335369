import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { FEED_FILES, MIME } from '../publish/files.js';

/**
 * What the server sends for one published file, made once per version of its
 * bytes: its type, its codings and their validators. Plain values, so a
 * snapshot can be built in memory.
 */

export interface Kind {
  readonly type: string;
  readonly mediaType: string;
  /** The type a browser gets instead, so it applies the stylesheet (see prefersGenericXml). */
  readonly alternative?: string;
  readonly feed: boolean;
  readonly html: boolean;
}

export interface Representation {
  readonly body: Buffer;
  readonly length: string;
  readonly encoding?: 'gzip' | 'br';
  /** Strong validators, one per representation (RFC 9110 8.8.3): per coding and per type. */
  readonly etag: string;
  readonly alternativeEtag: string;
}

/**
 * The codings of one version of a file's bytes. Identity is there from the
 * start; gzip and br are added once the background compressor has made them
 * (compress.ts), each in one assignment, and never changed afterwards. Every
 * snapshot that holds the same bytes shares this object.
 */
export interface Representations {
  readonly identity: Representation;
  gzip?: Representation;
  br?: Representation;
}

export interface Resource {
  readonly sha256: string;
  readonly kind: Kind;
  readonly vary: string;
  readonly lastModifiedMs?: number;
  readonly lastModified?: string;
  readonly representations: Representations;
}

/** What the server sends for each published file, by name; undefined for anything it does not serve. */
export function kindOf(rel: string): Kind | undefined {
  const base = rel.slice(rel.lastIndexOf('/') + 1);
  const utf8 = (t: string) => `${t}; charset=utf-8`;
  if (base === FEED_FILES.rss) return { type: utf8(MIME.rss), mediaType: MIME.rss, alternative: utf8('application/xml'), feed: true, html: false };
  if (base === FEED_FILES.atom) return { type: utf8(MIME.atom), mediaType: MIME.atom, alternative: utf8('application/xml'), feed: true, html: false };
  if (base === FEED_FILES.json) return { type: utf8(MIME.json), mediaType: MIME.json, feed: true, html: false };
  if (base.endsWith('.html')) return { type: utf8('text/html'), mediaType: 'text/html', feed: false, html: true };
  if (base.endsWith('.xsl')) return { type: utf8('text/xsl'), mediaType: 'text/xsl', feed: false, html: false };
  return undefined;
}

/**
 * Default brotli quality: 11 for files up to 64 KiB, 7 above. Variants are made
 * off the event loop, but on a small machine they share the cores with serving:
 * quality 11 costs ~50× quality 7 (500 ms against 16 ms for 250 KB) for ~10 % fewer bytes.
 */
export function brotliQualityFor(size: number): number {
  return size <= 64 * 1024 ? 11 : 7;
}

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);

/** 128 bits of the content hash: strong, and the same on every server with the same bytes. */
function representation(body: Buffer, sha256: string, encoding?: 'gzip' | 'br'): Representation {
  const tag = Buffer.from(sha256.slice(0, 32), 'hex').toString('base64url');
  const suffix = encoding === 'gzip' ? '-gz' : encoding === 'br' ? '-br' : '';
  return {
    body,
    length: String(body.length),
    ...(encoding ? { encoding } : {}),
    etag: `"${tag}${suffix}"`,
    alternativeEtag: `"${tag}-xml${suffix}"`,
  };
}

/** A file's bytes as they are: servable at once. */
export function uncompressed(bytes: Buffer, sha256: string): Representations {
  return { identity: representation(bytes, sha256) };
}

/**
 * Adds the gzip and then the brotli coding to `representations`, each as soon
 * as it is made. zlib's asynchronous API does the work on libuv's threads, in
 * chunks, so the event loop stays free to serve meanwhile; one coding at a time
 * keeps one of those threads busy, not all of them (file reads need them too).
 */
export async function compress(representations: Representations, sha256: string, quality: number): Promise<void> {
  const bytes = representations.identity.body;
  representations.gzip ??= representation(await gzip(bytes, { level: 9 }), sha256, 'gzip');
  if (representations.br) return;
  const br = await brotli(bytes, {
    params: {
      [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
      [zlib.constants.BROTLI_PARAM_QUALITY]: quality,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
  representations.br ??= representation(br, sha256, 'br');
}

/** The three codings of one file, made at once (for tests and tools; the server compresses in the background). */
export async function represent(bytes: Buffer, sha256: string, quality: number): Promise<Representations> {
  const representations = uncompressed(bytes, sha256);
  await compress(representations, sha256, quality);
  return representations;
}

/** A resource from its kind, hash, Last-Modified and codings (made anew, or shared with the previous snapshot). */
export function resourceOf(kind: Kind, sha256: string, lastModifiedMs: number, representations: Representations): Resource {
  // HTTP dates have whole seconds: the value compared with If-(Un)Modified-Since is the one sent.
  lastModifiedMs = Math.floor(lastModifiedMs / 1000) * 1000;
  return {
    sha256,
    kind,
    vary: kind.alternative ? 'Accept-Encoding, Accept' : 'Accept-Encoding',
    lastModifiedMs,
    lastModified: new Date(lastModifiedMs).toUTCString(),
    representations,
  };
}
