import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Coding } from './headers.js';
import { FEED_FILES, MIME } from '../publish/files.js';

/**
 * What the server sends for one published file, made once per version of its
 * bytes and never changed afterwards: its type, its three codings and their
 * validators. Plain values, so a snapshot can be built in memory.
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

export interface Resource {
  readonly sha256: string;
  readonly kind: Kind;
  readonly vary: string;
  readonly lastModifiedMs?: number;
  readonly lastModified?: string;
  readonly representations: Readonly<Record<Coding, Representation>>;
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

/** The three codings of one file. */
export async function represent(bytes: Buffer, sha256: string, quality: number): Promise<Record<Coding, Representation>> {
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

/** A resource from its kind, hash, Last-Modified and codings (made anew or reused from the previous snapshot). */
export function resourceOf(kind: Kind, sha256: string, lastModifiedMs: number, representations: Record<Coding, Representation>): Resource {
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
