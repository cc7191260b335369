import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isSafeRelative } from '../util/paths.js';
import type { FeedRecords } from './feed-records.js';
import { MANIFEST } from './files.js';

/**
 * dist/.feedpipe-manifest.json. `files` is what feedpipe published (the
 * clean-up reads only it, as every version did); `published` adds, per file,
 * the SHA-256 of its bytes and its HTTP Last-Modified, for the server: the
 * manifest is renamed into place after every file it lists, so a reader that
 * finds a file's bytes matching the manifest's hash has a complete build.
 */
export interface Manifest {
  files: string[];
  published: Record<string, PublishedFile>;
  /**
   * The subscription feeds published, by folder (publish/feed-records.ts): read by the build only,
   * which checks it (parseFeedRecords); kept as read here, so the server loads nothing of it.
   */
  feeds?: FeedRecords | unknown;
}

export interface PublishedFile {
  sha256: string;
  /** ISO 8601, whole seconds. */
  lastModified: string;
}

/**
 * The manifest this process last read, by output folder, with its identity (manifestStamp): a
 * publisher reads its 2 000-file manifest again only after a publication (~20 ms of reading and
 * checking, twice a build, for a site with archive pages).
 */
const lastRead = new Map<string, { stamp: string; manifest: Manifest }>();

/**
 * The manifest's identity on disk, 'none' without one: its device, inode, size and times. A
 * manifest is only ever replaced by a rename (publish/write.ts), so the same identity is the same bytes.
 */
export function manifestStamp(outDir: string): string {
  try {
    const st = statSync(path.join(outDir, MANIFEST), { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return 'none';
  }
}

/** Reads and checks the manifest; anything unreadable or unsafe counts as absent. Treat it as read-only: it may be shared. */
export async function readManifest(outDir: string): Promise<Manifest> {
  const stamp = manifestStamp(outDir);
  const memo = lastRead.get(outDir);
  if (stamp !== 'none' && memo?.stamp === stamp) return memo.manifest;
  const manifest = parseManifest(stamp === 'none' ? '' : await readFile(path.join(outDir, MANIFEST), 'utf8').catch(() => ''));
  if (stamp !== 'none') lastRead.set(outDir, { stamp, manifest });
  else lastRead.delete(outDir);
  return manifest;
}

export function parseManifest(text: string): Manifest {
  let parsed: { files?: unknown; published?: unknown; feeds?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    return { files: [], published: {} };
  }
  const files = Array.isArray(parsed?.files) ? parsed.files.filter((f): f is string => typeof f === 'string' && isSafeRelative(f)) : [];
  const published: Record<string, PublishedFile> = {};
  const meta = parsed?.published && typeof parsed.published === 'object' ? (parsed.published as Record<string, unknown>) : {};
  for (const rel of files) {
    const m = Object.hasOwn(meta, rel) ? (meta[rel] as Partial<PublishedFile> | null) : undefined;
    if (m && typeof m.sha256 === 'string' && /^[0-9a-f]{64}$/.test(m.sha256) && typeof m.lastModified === 'string' && !Number.isNaN(Date.parse(m.lastModified))) {
      published[rel] = { sha256: m.sha256, lastModified: m.lastModified };
    }
  }
  return { files, published, ...(parsed?.feeds ? { feeds: parsed.feeds } : {}) };
}
