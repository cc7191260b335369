/**
 * `feedpipe serve`: serves the output folder until stopped, reloading whenever a build replaces
 * the manifest. It loads the config and the server, nothing of the build's stages.
 */
import { mkdir } from 'node:fs/promises';
import { resolveConfig, type ConfigSource } from '../build/resolve.js';
import { formatDiagnostics } from '../diagnostics/diagnostics.js';
import { createFeedServer } from '../serve/server.js';
import { toDisplayPath } from '../util/paths.js';
import { EXIT_FAILED, EXIT_OK } from './exit.js';
import type { CliIO } from './io.js';
import type { Listen } from './options.js';
import { stopSignal, untilAborted } from './signals.js';

export async function runServe(source: ConfigSource, listen: Listen, io: CliIO): Promise<number> {
  const resolved = await resolveConfig(source);
  if (resolved.diagnostics.length) io.stderr(formatDiagnostics(resolved.diagnostics));
  if (!resolved.config) return EXIT_FAILED;
  // Listening for SIGTERM before saying "serving": a supervisor may stop us the moment it reads that line.
  const { signal, detach } = stopSignal(io);
  try {
    return await serveUntil(signal, { outDir: resolved.outDir, ...resolved.config.server, ...listen }, io);
  } finally {
    detach();
  }
}

async function serveUntil(signal: AbortSignal, on: { outDir: string; maxAge: number; port: number; host: string }, io: CliIO): Promise<number> {
  const shown = toDisplayPath(on.outDir, io.cwd ?? process.cwd());
  let listening = false;
  const server = createFeedServer({
    outDir: on.outDir,
    maxAge: on.maxAge,
    log: (m) => io.stderr(m + '\n'),
    onReload: (r) => {
      if (r.ok && r.changed && listening) io.stdout(`reloaded ${shown}: ${r.files} files, ${r.changed} changed (${Math.round(r.ms)} ms)\n`);
    },
  });
  // So that the folder can be watched from the start, even before the first build.
  await mkdir(on.outDir, { recursive: true }).catch(() => undefined);
  const loaded = await server.reload();
  if (!loaded.files) io.stderr(`feedpipe serve: nothing is published in ${shown} yet; run "feedpipe build" or "feedpipe start" (it is picked up without a restart)\n`);
  const stopWatching = server.watch();
  let address;
  try {
    address = await server.listen(on.port, on.host);
  } catch (e) {
    stopWatching();
    io.stderr(`feedpipe serve: cannot listen: ${(e as Error).message}\n`);
    return EXIT_FAILED;
  }
  listening = true;
  io.stdout(`serving ${shown} (${loaded.files} files) at ${address.url}\n`);
  await untilAborted(signal);
  stopWatching();
  await server.close();
  return EXIT_OK;
}
