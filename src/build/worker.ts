import { fileURLToPath } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/config.js';
import { loadRendererCode, type Renderer } from './code-cache.js';
import { monotonicMs, REPLY_BATCH, REPLY_MS, RunningState } from './running.js';
import type { RenderTask } from './render-task.js';
import type { FileRef } from './work.js';

/**
 * Worker thread of src/build/pool.ts: runs its messages one at a time, in the
 * order they came, and says in shared memory which one it runs (the pool
 * times that one). Replies go in batches (REPLY_BATCH).
 */
type Message = { seq: number } & ({ kind: 'parse'; tasks: FileRef[]; config: Config; withStat?: boolean } | { kind: 'render'; task: RenderTask });
type Done = { seq: number; reply: { results?: unknown[]; result?: unknown; error?: string } };

const running = new RunningState((workerData as { running: SharedArrayBuffer }).running);

let replies: Done[] = [];
/** The buffers of the replies waiting to go (a render's feed items as bytes): handed over, not copied. */
let transfers: ArrayBuffer[] = [];
let oldest = 0;
let flushing: NodeJS.Immediate | undefined;

// The renderer is loaded at once (the bundle's, through V8's code cache: code-cache.ts), then the
// pool is told. Parsing need not wait for it; a render does, before its time starts: a time
// budget counts rendering, not starting up.
let renderer: Renderer;
const rendererLoaded = loadRendererCode(fileURLToPath(new URL('./renderer.cjs', import.meta.url))).then(async (loaded) => {
  renderer = loaded.renderer;
  await renderer.loadRenderer();
  parentPort!.postMessage({ ready: true, codeCache: loaded.codeCache });
});
let queue = Promise.resolve();
parentPort!.on('message', (message: Message) => {
  queue = queue.then(() => run(message));
});

async function run(message: Message): Promise<void> {
  if (message.kind === 'render') await rendererLoaded;
  running.start(message.seq);
  const reply = await answer(message);
  running.stop();
  if (!replies.length) oldest = monotonicMs();
  replies.push({ seq: message.seq, reply });
  if (message.kind === 'render' && reply.result) transfers.push(...renderer.transferablesOf(reply.result));
  // Messages that came together run in one turn of the event loop: what is left goes at its end.
  if (replies.length >= REPLY_BATCH || monotonicMs() - oldest >= REPLY_MS) flush();
  else flushing ??= setImmediate(flush);
}

function flush(): void {
  clearImmediate(flushing);
  flushing = undefined;
  if (!replies.length) return;
  parentPort!.postMessage({ done: replies }, transfers);
  replies = [];
  transfers = [];
}

async function answer(message: Message): Promise<Done['reply']> {
  try {
    if (message.kind === 'parse') {
      // Parsing (YAML, the schema) is loaded by the first parse message: a worker that only renders never loads it.
      const { parseFile } = await import('./work.js');
      return { results: message.tasks.map((t) => parseFile(t, message.config, message.withStat)) };
    }
    return { result: await renderer.renderFile(message.task) };
  } catch (e) {
    return { error: (e as Error).stack ?? String(e) };
  }
}
