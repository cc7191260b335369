import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { readdirSync } from 'node:fs';
import path from 'node:path';
if (isMainThread) {
  const { loadConfig } = await import('/work/main/lib/config/load.js');
  const { parseFile } = await import('/work/main/lib/build/work.js');
  const loaded = await loadConfig('/tmp/feedpipe-bench-10000/feedpipe.config.yaml');
  const config = loaded.config;
  const dir = '/tmp/feedpipe-bench-10000/content';
  const refs = [];
  for (const d of readdirSync(dir).slice(20, 30)) for (const f of readdirSync(path.join(dir, d))) refs.push({ absPath: path.join(dir, d, f), relPath: `${d}/${f}`, displayPath: `content/${d}/${f}` });
  const roots = { rss: '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom="http://www.w3.org/2005/Atom">', atom: '<feed xmlns="http://www.w3.org/2005/Atom">', json: '' };
  const tasks = refs.slice(0, 530).map((ref) => { const p = parseFile(ref, config); return { ref, article: p.article, hash: p.hash, roots }; });
  const par = Number(process.argv[3] ?? 1);
  for (const mode of (process.argv[2] ?? 'cjs,esm,cjs,esm').split(',')) {
    await Promise.all(Array.from({length: par}, () => new Promise((res) => {
      const w = new Worker(new URL(import.meta.url), { workerData: { tasks, mode }, resourceLimits: { maxYoungGenerationSizeMb: 16 } });
      w.on('message', (m) => console.log(mode, m));
      w.on('error', (e) => console.log(e));
      w.on('exit', res);
    })));
  }
} else {
  let r;
  if (workerData.mode === 'cjs') { const { loadScript } = await import('/work/main/lib/build/code-cache.js'); r = loadScript('/work/main/lib/bundle/renderer.cjs').renderer; }
  else r = await import('/work/main/lib/build/render-task.js');
  await r.loadRenderer();
  const out = [];
  for (let pass = 0; pass < 2; pass++) {
    const t = performance.now();
    for (const task of workerData.tasks) { const x = await r.renderFile(task); if (x.error) throw new Error(JSON.stringify(x.error)); }
    out.push(((performance.now() - t) / workerData.tasks.length).toFixed(3));
  }
  parentPort.postMessage(out.join(' '));
}
