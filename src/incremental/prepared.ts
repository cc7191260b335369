/**
 * A build made ahead of a due time (written nothing, `now` = the due time) is
 * published at a later clock instead of building again only if it is what a
 * build then would write: select's window of that build holds at the clock
 * (the same articles are public) and every content file and the config have
 * the stats they had when the build began (the same inputs).
 */
import { findMarkdownFiles } from '../content/find.js';
import { holdsAt, type ClockWindow } from '../publish/select.js';
import { sha256 } from '../util/hash.js';
import { digestStats, statAll } from './stat.js';

/**
 * Digest of the content files' and `extraFiles`' stats (size, mtime, ctime, inode: any write moves
 * the ctime) and of what the scan reported (a symbolic link skipped); undefined when a file cannot
 * be stat'ed.
 */
export function inputsDigest(contentDir: string, extraFiles: readonly string[] = []): string | undefined {
  const found = findMarkdownFiles(contentDir);
  const files = [...found.files, ...extraFiles];
  const stats = digestStats(files, statAll(files), Date.now(), 'trust');
  return stats && `${stats}:${sha256(JSON.stringify(found.diagnostics.map((d) => [d.code, d.file, d.message])))}`;
}

export interface PreparedProof {
  /** inputsDigest before the prepared build began. */
  inputs: string | undefined;
  /** The prepared build's selection window. */
  window: ClockWindow | undefined;
}

export function preparedHolds(proof: PreparedProof, inputsNow: string | undefined, now: Date): boolean {
  return proof.inputs !== undefined && proof.window !== undefined && inputsNow === proof.inputs && holdsAt(proof.window, now.getTime());
}
