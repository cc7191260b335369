import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/build/build.js';
import { createFeedServer, type FeedServer } from '../../src/serve/server.js';
import { findChromium } from '../helpers/chromium.js';

/**
 * What a person sees, in a real headless Chromium (Debian's `chromium`, or
 * the one inside the npm package @sparticuz/chromium on a machine without it:
 * see test/helpers/chromium.ts; driven by playwright-core): the index page,
 * and RSS and Atom feeds opened in the browser, which the server sends as
 * application/xml to a browser so that the XSL stylesheet turns them into a page.
 *
 * Chromium 156 still runs XSLT (with a deprecation warning in the console);
 * when a Chromium without XSLT is installed, the feed-page tests fail here
 * first. Without any Chromium the suite fails with how to get one: a browser
 * test that silently skips would hide exactly that.
 */
const FIXTURE = fileURLToPath(new URL('../fixtures/websub/', import.meta.url));

let browser: Browser;
let context: BrowserContext;
let server: FeedServer;
let base: string;
let outDir: string;
/** Set when the browser could not start: every test then fails with it (a skipped browser test would hide that). */
let setupError: Error | undefined;

beforeAll(async () => {
  try {
    await setUp();
  } catch (e) {
    setupError = e as Error;
  }
}, 60_000);

function ready(): void {
  if (setupError) throw setupError;
}

async function setUp() {
  const chromiumFound = await findChromium();
  outDir = await mkdtemp(path.join(os.tmpdir(), 'feedpipe-browser-'));
  const report = await build({ cwd: FIXTURE, outDir, now: new Date('2026-11-25T12:00:00Z') });
  expect(report.ok).toBe(true);
  server = createFeedServer({ outDir });
  await server.reload();
  base = (await server.listen(0, '127.0.0.1')).url;
  // playwright gives every launch a fresh, temporary profile.
  browser = await chromium.launch({
    executablePath: chromiumFound.executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context = await browser.newContext();
  // Nothing but the loopback server: any other request is a bug in the page, and is refused.
  await context.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => route.abort());
}

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

async function open(url: string) {
  ready();
  const page = await context.newPage();
  const response = await page.goto(new URL(url, base).toString());
  return { page, response: response! };
}

describe('in a real browser', () => {
  it('index.html lists the feeds with autodiscovery links and the latest items', async () => {
    const { page, response } = await open('/');
    expect(response.headers()['content-type']).toBe('text/html; charset=utf-8');
    expect(await page.title()).toBe('Hub & Spoke <News>: feeds');
    expect(await page.locator('h1').innerText()).toBe('Hub & Spoke <News>');
    const text = await page.locator('body').innerText();
    expect(text).toContain('Follow Hub & Spoke <News> in your feed reader');
    expect(text).toContain('copy the address of a feed below into your reader');
    expect(text).toContain('https://hub.example.net/sections/monde/feed.xml');
    const items = await page.locator('ol li a').allInnerTexts();
    expect(items).toEqual(['Premier <article> & "citations"', 'Second: Fish &amp; Chips &lt;3']);
    expect(text).toContain('A summary with <angle brackets> & ampersands.');

    const alternates = await page.locator('link[rel=alternate]').evaluateAll((links) => links.map((l) => [l.getAttribute('type'), (l as HTMLLinkElement).href, l.getAttribute('title')]));
    expect(alternates.slice(0, 3)).toEqual([
      ['application/rss+xml', `${base}feed.xml`, 'Hub & Spoke <News> (RSS)'],
      ['application/atom+xml', `${base}atom.xml`, 'Hub & Spoke <News> (Atom)'],
      ['application/feed+json', `${base}feed.json`, 'Hub & Spoke <News> (JSON Feed)'],
    ]);
    expect(alternates.map((a) => a[1])).toContain(`${base}tags/hubs/atom.xml`);
    // Every autodiscovered feed is really there.
    for (const [, href] of alternates) expect((await page.request.get(href!)).status(), href!).toBe(200);
    await page.close();
  });

  it.each([
    ['/feed.xml', 'https://hub.example.net/feed.xml'],
    ['/atom.xml', 'https://hub.example.net/atom.xml'],
    ['/tags/hubs/feed.xml', 'https://hub.example.net/tags/hubs/feed.xml'],
    ['/sections/monde/atom.xml', 'https://hub.example.net/sections/monde/atom.xml'],
  ])('%s opened in the browser reads as a page that explains how to subscribe', async (url, self) => {
    const { page, response } = await open(url);
    expect(response.headers()['content-type']).toBe('application/xml; charset=utf-8');
    // The stylesheet ran: the document is the HTML it produced, not an XML tree.
    expect(await page.evaluate(() => document.documentElement.nodeName.toLowerCase())).toBe('html');
    const text = await page.locator('body').innerText();
    expect(text).toContain('This is a web feed');
    expect(text).toContain('copy this address into your feed reader');
    expect(await page.locator('code.address').innerText()).toBe(self);
    expect(await page.locator('h1').innerText()).toMatch(/^Hub & Spoke <News>/);
    // Titles and summaries read as the author wrote them: escaped once, never markup.
    expect(await page.locator('ol li a').first().innerText()).toBe('Premier <article> & "citations"');
    // Entity-like text, typed as such, shows as typed (an RSS title is plain text, escaped once); the main feeds carry it.
    if (url.lastIndexOf('/') === 0) expect(await page.locator('ol li a').nth(1).innerText()).toBe('Second: Fish &amp; Chips &lt;3');
    expect(text).toContain('A summary with <angle brackets> & ampersands.');
    expect(await page.locator('ol li article, ol li b, script').count()).toBe(0);
    await page.close();
  });

  it('an archive page opened in the browser gives the subscription address, says it is the archive, and links to older articles', async () => {
    ready();
    // The same fixture with one item a feed and a page: the site's feed has archive pages 1 and 2, one article each.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'feedpipe-browser-archive-'));
    const archived = createFeedServer({ outDir: dir });
    try {
      const config = { site: { title: 'Hub & Spoke <News>', url: 'https://hub.example.net/', language: 'fr' }, feeds: { limit: 1 } };
      expect((await build({ config, contentDir: path.join(FIXTURE, 'content'), outDir: dir, now: new Date('2026-11-25T12:00:00Z') })).ok).toBe(true);
      await archived.reload();
      const at = (await archived.listen(0, '127.0.0.1')).url;
      const page = await context.newPage();
      await page.goto(`${at}archive/2/atom.xml`);
      expect(await page.locator('code.address').innerText()).toBe('https://hub.example.net/atom.xml');
      expect(await page.locator('h2').nth(1).innerText()).toBe('Archived articles');
      expect(await page.locator('ol li').count()).toBe(1);
      expect(await page.locator('a', { hasText: 'Older articles' }).getAttribute('href')).toBe('https://hub.example.net/archive/1/atom.xml');
      expect(await page.locator('a', { hasText: 'Latest articles' }).getAttribute('href')).toBe('https://hub.example.net/atom.xml');
      // The oldest page: back to the newer one, and nothing older.
      await page.goto(`${at}archive/1/atom.xml`);
      expect(await page.locator('a', { hasText: 'Newer articles' }).getAttribute('href')).toBe('https://hub.example.net/archive/2/atom.xml');
      expect(await page.locator('a', { hasText: 'Older articles' }).count()).toBe(0);
      // The subscription document leads to the archive.
      await page.goto(`${at}feed.xml`);
      expect(await page.locator('h2').nth(1).innerText()).toBe('Latest articles');
      expect(await page.locator('a', { hasText: 'Older articles' }).getAttribute('href')).toBe('https://hub.example.net/archive/2/feed.xml');
      await page.close();
    } finally {
      await archived.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a web reader on another origin can fetch the JSON Feed (CORS)', async () => {
    // The "web reader": a page on another loopback port, fetching the feed from the browser.
    const reader = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!DOCTYPE html><title>reader</title>');
    });
    await new Promise<void>((r) => reader.listen(0, '127.0.0.1', r));
    try {
      ready();
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${(reader.address() as AddressInfo).port}/`);
      const result = await page.evaluate(async (url) => {
        const r = await fetch(url);
        return { status: r.status, etag: r.headers.get('etag'), title: ((await r.json()) as { title: string }).title };
      }, `${base}feed.json`);
      expect(result).toEqual({ status: 200, etag: expect.stringMatching(/^"/), title: 'Hub & Spoke <News>' });
      await page.close();
    } finally {
      reader.closeAllConnections();
      await new Promise((r) => reader.close(r));
    }
  });
});
