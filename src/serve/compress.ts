import { setImmediate as nextTurn } from 'node:timers/promises';
import { brotliQualityFor, compress, type Resource } from './resource.js';
import type { Snapshot } from './snapshot.js';

/**
 * Makes the gzip and brotli codings of the files being served, in the
 * background: a snapshot is served identity-encoded from the moment it is
 * loaded, and each file switches to its compressed codings as they are made.
 * One file at a time, the main feeds first, with a turn of the event loop
 * between files; the compression itself runs on libuv's threads.
 */
export interface Compressor {
  /** Compresses what `snapshot` still lacks, instead of what an earlier snapshot lacked. */
  follow(snapshot: Snapshot): void;
  /** Resolves once every file of the snapshot last followed has both codings (or the compressor stopped). */
  idle(): Promise<void>;
  /** Starts nothing more; a file under way finishes. */
  stop(): void;
}

export interface CompressorOptions {
  /** Brotli quality for a file of this size. */
  quality?: (size: number) => number;
  log: (message: string) => void;
}

const done = (r: Resource) => r.representations.gzip !== undefined && r.representations.br !== undefined;

/** Top-level files (the main feeds and the page) first, then sections and tags; by name within a level. */
function queueOf(snapshot: Snapshot): Resource[] {
  const depth = (key: string) => key.split('/').length;
  return [...snapshot.resources]
    .filter(([, r]) => !done(r))
    .sort(([a], [b]) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map(([, r]) => r);
}

export function backgroundCompressor(options: CompressorOptions): Compressor {
  const quality = options.quality ?? brotliQualityFor;
  let queue: Resource[] = [];
  let running: Promise<void> | undefined;
  let stopped = false;

  async function work(): Promise<void> {
    for (let next = queue.shift(); next && !stopped; next = queue.shift()) {
      // Two files with the same bytes share their codings: the second is done already.
      if (done(next)) continue;
      try {
        await compress(next.representations, next.sha256, quality(next.representations.identity.body.length));
      } catch (e) {
        options.log(`feedpipe serve: could not compress a file (${(e as Error).message}); it is served uncompressed`);
      }
      await nextTurn();
    }
  }

  function start(): void {
    if (running || stopped) return;
    running = work().finally(() => {
      running = undefined;
      // A snapshot followed between the last file and now.
      if (queue.length) start();
    });
  }

  function follow(snapshot: Snapshot): void {
    if (stopped) return;
    // What only an earlier snapshot held is not worth compressing any more.
    queue = queueOf(snapshot);
    start();
  }

  return {
    follow,
    idle: async () => {
      while (running) await running;
    },
    stop() {
      stopped = true;
      queue = [];
    },
  };
}
