import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MANIFEST } from '../../src/publish/files.js';

/**
 * A file listed in the manifest (with the SHA-256 of `content`) that no reader can finish
 * reading until `release()`: a named pipe. A server's first load reads every listed file, so it
 * cannot finish before the release, and a second read of the pipe after it would wait forever
 * (the pipe gives its content once). Linux and macOS (mkfifo).
 */
export async function stalledFile(outDir: string, rel: string, content: string) {
  const file = path.join(outDir, rel);
  await mkdir(path.dirname(file), { recursive: true });
  execFileSync('mkfifo', [file]);
  const manifestPath = path.join(outDir, MANIFEST);
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { files: string[]; published: Record<string, { sha256: string; lastModified: string }> };
  manifest.files.push(rel);
  manifest.published[rel] = { sha256: createHash('sha256').update(content).digest('hex'), lastModified: '2026-05-01T00:00:00Z' };
  await writeFile(manifestPath, JSON.stringify(manifest));
  let released = false;
  return {
    file,
    /** Waits for a reader to open the pipe, then gives it `content` and the end of the file. */
    async release() {
      released = true;
      await writeFile(file, content);
    },
    /** Unblocks a reader still waiting (read-write opens of a pipe never wait), so nothing is left hanging. */
    async cleanup() {
      if (released) return;
      released = true;
      const handle = await open(file, 'r+');
      await handle.write(content);
      await handle.close();
    },
  };
}
