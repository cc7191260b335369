import { mapLimit } from '../util/map-limit.js';
import { backgroundCompressor, type CompressorOptions } from './compress.js';
import { earlyReads, sleep, type EarlyReads } from './early.js';
import { BuildInProgress, listingReader, readListing, type ListingReader } from './listing.js';
import type { Representations, Resource } from './resource.js';

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

/**
 * Reads the output folder once, through its manifest, into a new snapshot.
 * Throws BuildInProgress when a file is missing or its bytes differ from the
 * manifest's hash. Nothing is compressed here: files whose bytes `previous`
 * already holds share their codings with it, the others start uncompressed.
 * `changed` counts those and the files no longer served. `source` is a reader
 * of a manifest read for this load whose files may have been read already
 * (the first load takes what requests made the server read before it).
 */
export async function loadSnapshot(outDir: string, previous: Snapshot, options: LoadOptions, source?: ListingReader): Promise<{ snapshot: Snapshot; changed: number }> {
  const known = new Map<string, Representations>([...previous.resources.values()].map((r) => [r.sha256, r.representations]));
  const reader = source ?? listingReader(await readListing(outDir), known, options.log);
  const { manifestText, manifest } = reader.listing;
  if (previous.verified && manifestText === previous.manifestText) return { snapshot: previous, changed: 0 };
  const before = new Set(known.keys());
  const resources = new Map<string, Resource>();
  let changed = 0;
  // Four reads at a time (libuv's threads; the hashing is on this one), leaving a thread free for the rest.
  await mapLimit(manifest.files, 4, async (rel) => {
    const resource = await reader.read(rel);
    if (!resource) return;
    if (!before.has(resource.sha256)) changed++;
    resources.set(rel, resource);
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
  /** Until a load has swapped a snapshot in: what to answer through instead (the files read on demand). */
  early(): EarlyReads | undefined;
  /** The files served; until a load has swapped a snapshot in, those the manifest lists to serve. */
  listed(): Promise<number>;
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
  // Dropped by the first load that succeeds: from then on every answer comes from a snapshot.
  let early: EarlyReads | undefined = earlyReads(outDir, options.log);
  const compressor = backgroundCompressor(options);

  async function attempt(): Promise<ReloadResult> {
    const started = performance.now();
    // A manifest requests had the server read before this load was asked for is read again.
    const stale = early?.started() ?? false;
    for (let n = 1; ; n++) {
      try {
        const source = early ? await early.reader(stale || n > 1) : undefined;
        const { snapshot, changed } = await loadSnapshot(outDir, current, options, source);
        current = snapshot; // the swap: one assignment, so every response sees one version
        early = undefined;
        compressor.follow(snapshot); // served uncompressed until then
        return { ok: true, files: snapshot.resources.size, changed, ms: performance.now() - started };
      } catch (e) {
        const message = (e as Error).message;
        if (e instanceof BuildInProgress && n < RELOAD_ATTEMPTS) {
          await sleep(25 * 2 ** n);
          continue;
        }
        const meanwhile = early ? 'each file is read when asked for and served if it matches the manifest' : 'still serving the previous version';
        options.log(`feedpipe serve: could not reload ${outDir}; ${meanwhile}: ${message}`);
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

  /** Never rejects: a manifest that cannot be read counts as none (the load says why). */
  async function listed(): Promise<number> {
    const reading = early;
    if (!reading) return current.resources.size;
    return reading.reader(false).then((r) => r.listing.served.size, () => 0);
  }

  return { current: () => current, early: () => early, listed, reload, compressed: compressor.idle, stop: compressor.stop };
}
