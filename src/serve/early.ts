import { BuildInProgress, listingReader, readListing, type ListingReader } from './listing.js';
import type { Representations, Resource } from './resource.js';

/**
 * What the server answers from before its first full load has finished: the
 * file a request names, read on demand through the manifest (read once and
 * shared, with the full load too) and checked against its SHA-256 exactly as
 * the full load checks it. Each file is read once, and the full load takes
 * what was read instead of reading it again.
 */
export interface EarlyReads {
  /** Whether the manifest has been read (or is being read) for this. */
  started(): boolean;
  /** The reader of the manifest read first; with `renew`, the manifest is read again and a changed one starts afresh. */
  reader(renew: boolean): Promise<ListingReader>;
  /** The resource `key` names (undefined: the manifest lists no such file to serve), or BUILD_UNDER_WAY. */
  resource(key: string): Promise<Resource | undefined | typeof BUILD_UNDER_WAY>;
}

/** The file's bytes kept not matching the manifest: a build is replacing the files; the client should come back in a moment. */
export const BUILD_UNDER_WAY = Symbol('build under way');

/**
 * A request waits at most 25 + 50 + 100 + 200 ms for a build to finish putting
 * its files in place (a matter of renames, the manifest last), then gets a 503.
 */
const REQUEST_ATTEMPTS = 5;

export function earlyReads(outDir: string, log: (message: string) => void, attempts = REQUEST_ATTEMPTS): EarlyReads {
  let current: Promise<ListingReader> | undefined;
  let renewing: Promise<ListingReader> | undefined;

  function keep(reading: Promise<ListingReader>): Promise<ListingReader> {
    current = reading;
    // An unreadable manifest is read again next time.
    reading.catch(() => current === reading && (current = undefined));
    return reading;
  }

  // Codings are shared within one version of the manifest (with the full load too), not across them.
  const fresh = async () => listingReader(await readListing(outDir), new Map<string, Representations>(), log);

  async function renew(): Promise<ListingReader> {
    const before = await current?.catch(() => undefined);
    const listing = await readListing(outDir);
    // The same manifest: what was read and checked against it still holds.
    if (before && before.listing.manifestText === listing.manifestText) return before;
    return listingReader(listing, new Map<string, Representations>(), log);
  }

  function reader(again: boolean): Promise<ListingReader> {
    if (!again) return current ?? keep(fresh());
    renewing ??= keep(renew()).finally(() => (renewing = undefined));
    return renewing;
  }

  async function resource(key: string): Promise<Resource | undefined | typeof BUILD_UNDER_WAY> {
    for (let n = 1; ; n++) {
      const listed = await reader(n > 1);
      try {
        return await listed.read(key);
      } catch (e) {
        if (!(e instanceof BuildInProgress)) throw e;
        if (n >= attempts) return BUILD_UNDER_WAY;
        await sleep(25 * 2 ** (n - 1));
      }
    }
  }

  return { started: () => current !== undefined, reader, resource };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
