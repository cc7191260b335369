import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { mapLimit } from '../util/map-limit.js';
import { MANIFEST } from '../publish/files.js';
import { parseManifest } from '../publish/manifest.js';
import { sha256 } from '../util/hash.js';
import { backgroundCompressor, type CompressorOptions } from './compress.js';
import { kindOf, resourceOf, uncompressed, type Representations, type Resource } from './resource.js';

/**
 * One published version of the output folder, in memory: its files and their
 * bytes never change once made, only the whole is replaced. (A file's gzip and
 * brotli codings are added to it in the background; see compress.ts.)
 */
export interface Snapshot {
  readonly manifestText: string;
  /** Every file had a hash in the manifest: an identical manifest then means identical files. */
  readonly verified: boolean;
  /** By request key (`feed.xml`, `tags/x/index.html`). */
  readonly resources: ReadonlyMap<string, Resource>;
}

export const EMPTY_SNAPSHOT: Snapshot = Object.freeze({ manifestText: '', verified: false, resources: new Map<string, Resource>() });

export interface LoadOptions {
  log: (message: string) => void;
}

/** A file did not match the manifest read just before: a build is under way. */
export class BuildInProgress extends Error {}

async function readManifestText(outDir: string): Promise<string> {
  try {
    return await readFile(path.join(outDir, MANIFEST), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return '';
  }
}

/** The real path and bytes of a file the manifest lists, and whether it really lies inside the folder. */
async function readListed(root: string, rel: string): Promise<{ real: string; bytes: Buffer; inside: boolean }> {
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
  return { real, bytes, inside: real.startsWith(root + path.sep) };
}

/**
 * Reads the output folder once, through its manifest, into a new snapshot.
 * Throws BuildInProgress when a file is missing or its bytes differ from the
 * manifest's hash. Nothing is compressed here: files whose bytes `previous`
 * already holds share their codings with it, the others start uncompressed.
 * `changed` counts those and the files no longer served.
 */
export async function loadSnapshot(outDir: string, previous: Snapshot, options: LoadOptions): Promise<{ snapshot: Snapshot; changed: number }> {
  const manifestText = await readManifestText(outDir);
  if (previous.verified && manifestText === previous.manifestText) return { snapshot: previous, changed: 0 };
  const manifest = parseManifest(manifestText);
  const root = manifestText ? await realpath(outDir) : outDir;
  const known = new Map<string, Representations>([...previous.resources.values()].map((r) => [r.sha256, r.representations]));
  const before = new Set(known.keys());
  const resources = new Map<string, Resource>();
  let changed = 0;
  // Four reads at a time (libuv's threads; the hashing is on this one), leaving a thread free for the rest.
  await mapLimit(manifest.files, 4, async (rel) => {
    const kind = kindOf(rel);
    if (!kind || rel.split('/').some((s) => s.startsWith('.'))) return;
    const file = await readListed(root, rel);
    if (!file.inside) return options.log(`feedpipe serve: not serving ${rel}: it resolves outside ${outDir}`);
    const digest = sha256(file.bytes);
    const published = manifest.published[rel];
    if (published && published.sha256 !== digest) throw new BuildInProgress(`${rel} does not match the manifest`);
    const lastModifiedMs = published ? Date.parse(published.lastModified) : Math.floor((await stat(file.real)).mtimeMs / 1000) * 1000;
    if (!before.has(digest)) changed++;
    let representations = known.get(digest);
    if (!representations) known.set(digest, (representations = uncompressed(file.bytes, digest)));
    resources.set(rel, resourceOf(kind, digest, lastModifiedMs, representations));
  });
  const verified = manifest.files.length > 0 && manifest.files.every((rel) => manifest.published[rel]);
  const removed = [...previous.resources.keys()].filter((k) => !resources.has(k)).length;
  return { snapshot: Object.freeze({ manifestText, verified, resources }), changed: changed + removed };
}

export interface ReloadResult {
  ok: boolean;
  /** Files now served. */
  files: number;
  /** Files whose bytes differ from the previous snapshot (to be compressed anew), and files no longer served. */
  changed: number;
  ms: number;
  error?: string;
}

const RELOAD_ATTEMPTS = 6;

export interface SnapshotHolder {
  /** The snapshot to answer from; read it once per response. */
  current(): Snapshot;
  /** Loads the folder again and swaps the snapshot; never rejects. Calls during a reload coalesce into one more. */
  reload(): Promise<ReloadResult>;
  /** Resolves once every file of the current snapshot has its gzip and brotli codings. */
  compressed(): Promise<void>;
  /** Stops compressing. */
  stop(): void;
}

/** The current snapshot of `outDir` and the one way to replace it. */
export function holdSnapshot(outDir: string, options: LoadOptions & CompressorOptions & { onReload?: (result: ReloadResult) => void }): SnapshotHolder {
  let current = EMPTY_SNAPSHOT;
  const compressor = backgroundCompressor(options);

  async function attempt(): Promise<ReloadResult> {
    const started = performance.now();
    for (let n = 1; ; n++) {
      try {
        const { snapshot, changed } = await loadSnapshot(outDir, current, options);
        current = snapshot; // the swap: one assignment, so every response sees one version
        compressor.follow(snapshot); // served uncompressed until then
        return { ok: true, files: snapshot.resources.size, changed, ms: performance.now() - started };
      } catch (e) {
        const message = (e as Error).message;
        if (e instanceof BuildInProgress && n < RELOAD_ATTEMPTS) {
          await sleep(25 * 2 ** n);
          continue;
        }
        options.log(`feedpipe serve: could not reload ${outDir}; still serving the previous version: ${message}`);
        return { ok: false, files: current.resources.size, changed: 0, ms: performance.now() - started, error: message };
      }
    }
  }

  async function reloadNow(): Promise<ReloadResult> {
    const result = await attempt();
    try {
      options.onReload?.(result);
    } catch {
      // a listener's failure is not the reload's
    }
    return result;
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

  return { current: () => current, reload, compressed: compressor.idle, stop: compressor.stop };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
