/**
 * `feedpipe serve`: serves the output folder until stopped, reloading whenever a build replaces
 * the manifest. It loads the server and nothing of the build's stages; the config's settings
 * come from their record (config/recorded.ts) when the config is unchanged since it was last
 * loaded, so that neither the YAML parser nor the schema is loaded either.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConfigSource } from '../build/resolve.js';
import { DEFAULT_CONFIG_FILE } from '../config/defaults.js';
import { readRecorded, record } from '../config/recorded.js';
import { formatDiagnostics } from '../diagnostics/diagnostics.js';
import { JOURNAL } from '../publish/files.js';
import { createFeedServer } from '../serve/server.js';
import { isTempName } from '../util/atomic.js';
import { toDisplayPath } from '../util/paths.js';
import { EXIT_FAILED, EXIT_OK } from './exit.js';
import type { CliIO } from './io.js';
import type { Listen } from './options.js';
import { stopSignal, untilAborted } from './signals.js';

interface Serving {
  outDir: string;
  maxAge: number;
  port: number;
  host: string;
}

export async function runServe(source: ConfigSource, listen: Listen, io: CliIO): Promise<number> {
  const settings = await settingsOf(source, io);
  if (!settings) return EXIT_FAILED;
  // Listening for SIGTERM before saying "serving": a supervisor may stop us the moment it reads that line.
  const { signal, detach } = stopSignal(io);
  try {
    return await serveUntil(signal, { ...settings, ...listen }, io);
  } finally {
    detach();
  }
}

/** The config's settings for serving: recorded if the file's bytes are those last loaded, else a full load (which records them). */
async function settingsOf(source: ConfigSource, io: CliIO): Promise<Serving | undefined> {
  const cwd = source.cwd ?? process.cwd();
  const file = source.config ? undefined : path.resolve(cwd, source.configPath ?? DEFAULT_CONFIG_FILE);
  const bytes = file ? await readFile(file).catch(() => undefined) : undefined;
  const recorded = file && bytes ? await readRecorded(file, bytes) : undefined;
  if (recorded) {
    const outDir = source.outDir ? path.resolve(cwd, source.outDir) : path.resolve(path.dirname(file!), recorded.output);
    return { outDir, ...recorded.server };
  }
  const { resolveConfig } = await import('../build/resolve.js');
  const resolved = await resolveConfig(source);
  if (resolved.diagnostics.length) io.stderr(formatDiagnostics(resolved.diagnostics));
  if (!resolved.config) return undefined;
  if (resolved.file) await record(resolved.file.path, resolved.file.source, resolved.config);
  return { outDir: resolved.outDir, ...resolved.config.server };
}

async function serveUntil(signal: AbortSignal, on: Serving, io: CliIO): Promise<number> {
  const shown = toDisplayPath(on.outDir, io.cwd ?? process.cwd());
  let loads = 0;
  const server = createFeedServer({
    outDir: on.outDir,
    maxAge: on.maxAge,
    log: (m) => io.stderr(m + '\n'),
    onReload: (r) => {
      // The first load only takes over what was served file by file meanwhile: nothing changed for a client.
      if (loads++ && r.ok && r.changed) io.stdout(`reloaded ${shown}: ${r.files} files, ${r.changed} changed (${Math.round(r.ms)} ms)\n`);
    },
  });
  // So that the folder can be watched from the start, even before the first build.
  await mkdir(on.outDir, { recursive: true }).catch(() => undefined);
  await finishInterrupted(on.outDir, shown, io);
  // Listening does not wait for the first load: until it has finished, each request reads the file it names.
  void server.reload();
  const stopWatching = server.watch();
  let address;
  let files;
  try {
    [address, files] = await Promise.all([server.listen(on.port, on.host), server.listed()]);
  } catch (e) {
    stopWatching();
    await server.close();
    io.stderr(`feedpipe serve: cannot listen: ${(e as Error).message}\n`);
    return EXIT_FAILED;
  }
  if (!files) io.stderr(`feedpipe serve: nothing is published in ${shown} yet; run "feedpipe build" or "feedpipe start" (it is picked up without a restart)\n`);
  io.stdout(`serving ${shown} (${files} files) at ${address.url}\n`);
  await untilAborted(signal);
  stopWatching();
  await server.close();
  return EXIT_OK;
}

/**
 * What a killed publisher left (a journal, temp files) is finished or undone before the first
 * read, under the output folder's lock: while a live publisher holds it, that one finishes its
 * own. Loaded only when there is something to do: a plain serve loads no publishing code.
 */
async function finishInterrupted(outDir: string, shown: string, io: CliIO): Promise<void> {
  try {
    if (!(await mayNeedRecovery(outDir))) return;
    const [{ acquireOutputLock }, { describeRecovery, recoverOutput, RECOVERING_COMMAND }] = await Promise.all([import('../start/lock.js'), import('../publish/journal.js')]);
    const locked = await acquireOutputLock(outDir, { command: RECOVERING_COMMAND });
    if (!locked.ok) return;
    try {
      const text = describeRecovery(await recoverOutput(outDir));
      if (text) io.stderr(`feedpipe serve: ${shown}: ${text}\n`);
    } finally {
      await locked.lock.release();
    }
  } catch (e) {
    io.stderr(`feedpipe serve: could not finish the interrupted publication in ${shown}: ${(e as Error).message}\n`);
  }
}

/** start/lock.ts's LOCK_FILE, named here so that a plain serve loads nothing of start/ (test/e2e/crash.test.ts pins that they agree). */
export const PUBLISHER_LOCK = '.feedpipe.lock';

/**
 * One look at the folder: a killed publisher leaves its lock file (and a journal, or temp files
 * beside the main feeds); a publisher that stopped cleanly leaves none of them.
 */
async function mayNeedRecovery(outDir: string): Promise<boolean> {
  const names = await readdir(outDir).catch(() => [] as string[]);
  return names.some((name) => name === JOURNAL || name === PUBLISHER_LOCK || isTempName(name));
}
