import { unwatchFile, watch, watchFile, type FSWatcher, type Stats } from 'node:fs';
import path from 'node:path';
import { MANIFEST } from '../publish/files.js';

/**
 * Calls `reload` (debounced by 30 ms) whenever a build replaces the manifest
 * in `outDir`. Returns the function that stops watching.
 */
export function watchManifest(outDir: string, reload: () => void, log: (message: string) => void): () => void {
  const manifestPath = path.join(outDir, MANIFEST);
  let timer: NodeJS.Timeout | undefined;
  const trigger = () => {
    clearTimeout(timer);
    timer = setTimeout(reload, 30);
  };
  let watcher: FSWatcher | undefined;
  try {
    // The manifest is renamed into place after every file it lists: watch the folder for its name.
    watcher = watch(outDir, { persistent: false }, (_event, name) => {
      if (name === MANIFEST) trigger();
    });
    watcher.on('error', (e) => log(`feedpipe serve: watching ${outDir} failed (${e.message}); polling only`));
  } catch (e) {
    log(`feedpipe serve: cannot watch ${outDir} (${(e as Error).message}); polling only`);
  }
  // A safety net where folder events are unreliable (network and container mounts) or the folder is replaced.
  const poll = (now: Stats, before: Stats) => {
    if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino) trigger();
  };
  watchFile(manifestPath, { interval: 1000, persistent: false }, poll);
  return () => {
    clearTimeout(timer);
    watcher?.close();
    unwatchFile(manifestPath, poll);
  };
}
