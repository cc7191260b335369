import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/config.js';
import { parseFile, renderFile, type FileRef, type RenderTask } from './work.js';

/** Worker thread: runs batches of parse or render tasks for src/pool.ts. */
const config = (workerData as { config: Config }).config;

parentPort!.on('message', async (message: { id: number; kind: 'parse'; tasks: FileRef[] } | { id: number; kind: 'render'; tasks: RenderTask[] }) => {
  try {
    const results = message.kind === 'parse' ? message.tasks.map((t) => parseFile(t, config)) : await Promise.all(message.tasks.map((t) => renderFile(t)));
    parentPort!.postMessage({ id: message.id, results });
  } catch (e) {
    parentPort!.postMessage({ id: message.id, error: (e as Error).stack ?? String(e) });
  }
});
