import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { MANIFEST } from '../publish/files.js';
import { parseManifest, type Manifest } from '../publish/manifest.js';
import { sha256 } from '../util/hash.js';
import { kindOf, resourceOf, uncompressed, type Representations, type Resource } from './resource.js';

/**
 * One version of the output folder as its manifest lists it, and the one way
 * to read a listed file into a resource: only a listed file of a served kind,
 * with no dot segment, whose real path lies inside the folder, and whose bytes
 * match the manifest's SHA-256. Both the full load (snapshot.ts) and the
 * answers given before it has finished (early.ts) read files through here.
 */

/** A file did not match the manifest read just before: a build is under way. */
export class BuildInProgress extends Error {}

export interface Listing {
  /** The output folder as given (for messages). */
  readonly outDir: string;
  /** The manifest's text as read ('' when there is none). */
  readonly manifestText: string;
  readonly manifest: Manifest;
  /** The output folder's real path (the folder as given when nothing is published). */
  readonly root: string;
  /** The listed files the server would serve (by kind and name; the disk is not looked at). */
  readonly served: ReadonlySet<string>;
}

async function readManifestText(outDir: string): Promise<string> {
  try {
    return await readFile(path.join(outDir, MANIFEST), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return '';
  }
}

/** Files and folders whose name starts with a dot (the manifest, temp files) are never served. */
const servedName = (rel: string) => kindOf(rel) !== undefined && !rel.split('/').some((s) => s.startsWith('.'));

export async function readListing(outDir: string): Promise<Listing> {
  const manifestText = await readManifestText(outDir);
  const manifest = parseManifest(manifestText);
  const root = manifestText ? await realpath(outDir) : outDir;
  return { outDir, manifestText, manifest, root, served: new Set(manifest.files.filter(servedName)) };
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

export interface ListingReader {
  readonly listing: Listing;
  /**
   * The resource `rel` names in this listing, read from the disk at most once:
   * undefined when it is not served (not listed, not a served kind, a dotfile,
   * outside the folder). Rejects with BuildInProgress when the file is missing
   * or its bytes are not the manifest's (and is read again when asked again).
   */
  read(rel: string): Promise<Resource | undefined>;
}

/**
 * Reads the files of `listing`, each at most once however many ask. `known`
 * holds the codings of bytes already in memory, by SHA-256: a file with the
 * same bytes shares them (and their compression); new bytes are added to it.
 */
export function listingReader(listing: Listing, known: Map<string, Representations>, log: (message: string) => void): ListingReader {
  const reads = new Map<string, Promise<Resource | undefined>>();
  async function readOnce(rel: string): Promise<Resource | undefined> {
    const kind = kindOf(rel);
    if (!kind || !listing.served.has(rel)) return undefined;
    const file = await readListed(listing.root, rel);
    if (!file.inside) {
      log(`feedpipe serve: not serving ${rel}: it resolves outside ${listing.outDir}`);
      return undefined;
    }
    const digest = sha256(file.bytes);
    const published = listing.manifest.published[rel];
    if (published && published.sha256 !== digest) throw new BuildInProgress(`${rel} does not match the manifest`);
    const lastModifiedMs = published ? Date.parse(published.lastModified) : Math.floor((await stat(file.real)).mtimeMs / 1000) * 1000;
    let representations = known.get(digest);
    if (!representations) known.set(digest, (representations = uncompressed(file.bytes, digest)));
    return resourceOf(kind, digest, lastModifiedMs, representations);
  }
  return {
    listing,
    read(rel) {
      let read = reads.get(rel);
      if (!read) {
        read = readOnce(rel);
        reads.set(rel, read);
        // A failed read is not kept: the next one looks at the disk again.
        read.catch(() => reads.get(rel) === read && reads.delete(rel));
      }
      return read;
    },
  };
}
