import { parentPort } from 'node:worker_threads';
import type { Config } from '../config/config.js';
import { loadRenderer, renderFile, type RenderTask } from './render-task.js';
import type { FileRef } from './work.js';

/**
 * Worker thread of src/build/pool.ts: runs its messages one at a time, in the
 * order they came: the pool times the one at the head of its queue.
 */
type Message = { kind: 'parse'; tasks: FileRef[]; config: Config } | { kind: 'render'; task: RenderTask };

// The renderer is loaded first, then the pool is told: a time budget counts rendering, not starting up.
let queue = loadRenderer().then(() => parentPort!.postMessage({ ready: true }));
parentPort!.on('message', (message: Message) => {
  queue = queue.then(() => run(message));
});

async function run(message: Message): Promise<void> {
  try {
    if (message.kind === 'parse') {
      // Parsing (YAML, the schema) is loaded by the first parse message: a worker that only renders never loads it.
      const { parseFile } = await import('./work.js');
      parentPort!.postMessage({ results: message.tasks.map((t) => parseFile(t, message.config)) });
    } else parentPort!.postMessage({ result: await renderFile(message.task) });
  } catch (e) {
    parentPort!.postMessage({ error: (e as Error).stack ?? String(e) });
  }
}
