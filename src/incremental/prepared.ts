/**
 * A build made ahead of a due time (written nothing, `now` = the due time) is
 * published at a later clock instead of building again only if it is what a
 * build then would write: select's window of that build holds at the clock
 * (the same articles are public) and every content file and the config have
 * the stats they had when the build began (the same inputs).
 */
import { findMarkdownFiles } from '../content/find.js';
import { holdsAt, type ClockWindow } from '../publish/select.js';
import { digestStats, statAll } from './stat.js';

/**
 * Digest of the content files' and `extraFiles`' stats (the bytes of a file too fresh to trust its
 * stat); undefined when the scan reports something (a symbolic link) or a file cannot be read.
 */
export function inputsDigest(contentDir: string, extraFiles: readonly string[] = []): string | undefined {
  const found = findMarkdownFiles(contentDir);
  if (found.diagnostics.length) return undefined;
  const files = [...found.files, ...extraFiles];
  const wall = Date.now();
  return digestStats(files, statAll(files), wall, 'hash');
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
