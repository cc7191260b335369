// The server side of bench/serve.mjs, in its own process: the feed server and,
// as in `feedpipe start --serve`, the publisher that rebuilds and reloads it.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from '../lib/build/build.js';
import { createFeedServer } from '../lib/serve/server.js';

const root = process.argv[2];
const outDir = path.join(root, 'dist');
const server = createFeedServer({ outDir, log: (m) => process.send({ type: 'log', message: m }) });
await server.reload();
// The runs measure serving, not the first compression: start once every file has its codings.
await server.compressed();
const { port } = await server.listen(0, '127.0.0.1');
process.send({ type: 'ready', port });

let round = 0;
process.on('message', async (msg) => {
  if (msg.type === 'memory') {
    for (let i = 0; i < 3; i++) globalThis.gc?.();
    const m = process.memoryUsage();
    process.send({ type: 'memory', rss: m.rss, heapUsed: m.heapUsed, external: m.external });
  } else if (msg.type === 'republish') {
    round++;
    const date = new Date(Date.UTC(2026, 0, 1) + round * 60_000).toISOString();
    // A new story of ordinary length each time: the feeds change, their size stays about the same.
    await writeFile(path.join(root, 'content', `bench-${round}.md`), `---\ntitle: "Bench story ${round}"\ndate: ${date}\ntags: [Bench]\n---\nStory ${round}. ${'Some words of an ordinary news story. '.repeat(40)}\n`);
    const started = performance.now();
    const report = await build({ cwd: root, now: new Date('2026-11-25T12:00:00Z') });
    const buildMs = performance.now() - started;
    const sha = createHash('sha256').update(await readFile(path.join(outDir, 'feed.xml'))).digest('hex');
    // Announced before the swap, so the load generator knows the version before it can receive it.
    process.send({ type: 'published', sha, written: report.write?.written.length ?? 0 });
    const r = await server.reload();
    process.send({ type: 'reloaded', ok: r.ok, ms: r.ms, changed: r.changed, buildMs });
  } else if (msg.type === 'stop') {
    await server.close();
    process.exit(0);
  }
});
