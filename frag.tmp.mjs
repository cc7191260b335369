import { readFileSync } from 'node:fs';
const { build } = await import('/work/main/lib/build/build.js');
const { renderArticle } = await import('/work/main/lib/content/render.js');
const { bodyOf } = await import('/work/main/lib/content/body.js');
const { SERIALISERS, rootsOf } = await import('/work/main/lib/publish/items.js');
const { compact } = await import('/work/main/lib/publish/text.js');
const { verifyXmlFragment, verifyJsonFragment, rootStartTag } = await import('/work/main/lib/publish/verify.js');
const report = await build({ cwd: '/tmp/feedpipe-bench-10000', now: new Date('2026-11-25T12:00:00Z'), write: false });
const arts = report.visible.slice(0, 400);
const contents = arts.map((a) => { const r = renderArticle(a, bodyOf(readFileSync(a.source.absPath))); return { html: r.html, summary: r.summary, ...(a.image ? { image: a.image.url } : {}) }; });
const roots = { rss: '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom="http://www.w3.org/2005/Atom">', atom: '<feed xmlns="http://www.w3.org/2005/Atom">', json: '' };
const texts = {};
const res = {};
const add = (k, v) => (res[k] ??= []).push(v);
for (let round = 0; round < 6; round++) {
  for (const f of ['rss', 'atom', 'json']) {
    let t = performance.now();
    texts[f] = arts.map((a, i) => SERIALISERS[f].item(a, contents[i]));
    add(f + ' item', (performance.now() - t) / arts.length);
    t = performance.now();
    const c = texts[f].map(compact);
    add(f + ' compact', (performance.now() - t) / arts.length);
    t = performance.now();
    c.forEach((x) => (f === 'json' ? verifyJsonFragment(x) : verifyXmlFragment(x, roots[f])));
    add(f + ' verify', (performance.now() - t) / arts.length);
  }
}
for (const k in res) console.log(k.padEnd(14), res[k].slice(2).map((x) => x.toFixed(3)).join(' '));
console.log('avg rss len', texts.rss.reduce((a, b) => a + b.length, 0) / arts.length, 'html', contents.reduce((a, b) => a + b.html.length, 0) / arts.length);
process.exit(0);
