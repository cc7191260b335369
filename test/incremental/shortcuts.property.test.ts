/**
 * Every shortcut equals a cold build. Random sequences of edits, moves, deletions, additions,
 * drafts, date changes, `updated` changes (before the date, between it and the clock, after the
 * clock: a warning, nothing, an error on a public article) and clock steps (forward and back)
 * drive three incremental paths side by side, and after every step each must succeed or fail as a
 * cold build of the same content at the same instant does, with the same diagnostics, publish
 * byte for byte what it publishes, and never carry an article that select hides:
 * - a one-off `feedpipe build` (cacheDir + reuseLastResult: the standing proof, the changed-only
 *   build, the on-disk cache);
 * - the long-running publisher (one BuildCache in memory, the watcher's changed paths: the reused
 *   selection, the reused articles, unchanged feeds not serialised again);
 * - a build prepared at the previous step's clock, published now only where its proof holds.
 * FEEDPIPE_PROPERTY_RUNS=200 runs a deeper search than the default. The default run is seeded, so
 * that it takes every shortcut each time (the counts below); FEEDPIPE_PROPERTY_SEED=random (or a
 * number) searches elsewhere.
 */
import { mkdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { build, type BuildReport } from '../../src/build/build.js';
import { BuildCache } from '../../src/incremental/cache.js';
import { inputsDigest, preparedHolds, type PreparedProof } from '../../src/incremental/prepared.js';
import { parseManifest } from '../../src/publish/manifest.js';
import { baseConfig, makeSite } from '../helpers/site.js';

const T0 = Date.parse('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;
const RUNS = Number(process.env.FEEDPIPE_PROPERTY_RUNS ?? 12);
const SEED = process.env.FEEDPIPE_PROPERTY_SEED === 'random' ? {} : { seed: Number(process.env.FEEDPIPE_PROPERTY_SEED ?? 20261206) };
/** How often each shortcut was taken over the whole run: a property that never takes one proves nothing. */
const taken = { stands: 0, changedOnly: 0, publisherReused: 0, prepared: 0, failed: 0, updatedBefore: 0, keptEmpty: 0, emptyLeft: 0 };

interface Story {
  /** A token unique to the story, in its title and body, so a leak is found wherever it lands. */
  name: string;
  rev: number;
  /** Hours from T0. */
  hours: number;
  /** `updated`, hours from T0; none when undefined. */
  updated?: number;
  draft: boolean;
  tags: string[];
  section?: string;
}

type Op =
  | { op: 'edit'; pick: number }
  | { op: 'redate'; pick: number; hours: number }
  | { op: 'update'; pick: number; from: 'date' | 'now'; hours?: number }
  | { op: 'draft'; pick: number; draft: boolean }
  | { op: 'retag'; pick: number; tags: string[]; section?: string }
  | { op: 'move'; pick: number; folder: string; rename: boolean }
  | { op: 'remove'; pick: number }
  | { op: 'add'; hours: number; tags: string[]; updated?: number }
  | { op: 'clock'; hours: number }
  | { op: 'clockAt'; pick: number; minutes: number };

const tagsArb = fc.subarray(['Alpha', 'Beta', 'R&D', 'Gamma']);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('edit' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('redate' as const), pick: fc.nat(), hours: fc.integer({ min: -48, max: 48 }) }),
  // Hours from the story's date (before it: a warning) or from the clock (after it: an error if
  // the story is public; a clock stepped back below it: the same); no key: the field is removed.
  fc.record({ op: fc.constant('update' as const), pick: fc.nat(), from: fc.constantFrom('date' as const, 'now' as const), hours: fc.integer({ min: -4, max: 4 }) }, { requiredKeys: ['op', 'pick', 'from'] }),
  fc.record({ op: fc.constant('draft' as const), pick: fc.nat(), draft: fc.boolean() }),
  fc.record({ op: fc.constant('retag' as const), pick: fc.nat(), tags: tagsArb, section: fc.constantFrom(undefined, 'World', 'Sport') }, { requiredKeys: ['op', 'pick', 'tags'] }),
  fc.record({ op: fc.constant('move' as const), pick: fc.nat(), folder: fc.constantFrom('', '2026', 'archive/old'), rename: fc.boolean() }),
  fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('add' as const), hours: fc.integer({ min: -48, max: 48 }), tags: tagsArb, updated: fc.integer({ min: -60, max: 60 }) }, { requiredKeys: ['op', 'hours', 'tags'] }),
  // Forward by six to nine hours too: past the grace of a feed kept empty (the config's, below).
  fc.record({ op: fc.constant('clock' as const), hours: fc.oneof(fc.integer({ min: -30, max: 30 }), fc.integer({ min: -4, max: 4 }), fc.integer({ min: 6, max: 9 })) }),
  // The clock just before, at or just after a story's `updated`: the edges of select's window.
  fc.record({ op: fc.constant('clockAt' as const), pick: fc.nat(), minutes: fc.constantFrom(-1, 0, 1) }),
);

function text(s: Story): string {
  const fields = [`title: Story ${s.name} r${s.rev}`, `date: ${new Date(T0 + s.hours * HOUR).toISOString()}`, `draft: ${s.draft}`, `tags: ${JSON.stringify(s.tags)}`];
  if (s.section) fields.push(`section: ${s.section}`);
  if (s.updated !== undefined) fields.push(`updated: ${new Date(T0 + s.updated * HOUR).toISOString()}`);
  return `---\n${fields.join('\n')}\n---\nThe story of ${s.name}, revision ${s.rev}.\n`;
}

/** One random sequence, on a fresh site, checked after every step. */
async function runSequence(ops: Op[]): Promise<void> {
  const site = await makeSite({});
  const stories = new Map<string, Story>(); // by path relative to content/
  let serial = 0;
  let mtime = Math.floor(T0 / 1000) - 10 * 86400; // backdated, so no stat is too fresh to trust
  const put = async (rel: string, s: Story) => {
    const file = path.join(site.contentDir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text(s));
    mtime += 7;
    await utimes(file, mtime, mtime);
  };
  for (let i = 0; i < 4; i++) {
    const s: Story = { name: `k${String(serial++).padStart(3, '0')}`, rev: 0, hours: (i - 2) * 10, draft: false, tags: i % 2 ? ['Alpha'] : [] };
    stories.set(`${s.name}.md`, s);
    await put(`${s.name}.md`, s);
  }
  // Five hours after the newest public story: room for a clock stepped back without hiding it.
  let now = new Date(T0 + 5 * HOUR);
  // Six hours' grace for an emptied feed: clock steps reach its end (publish/emptied.ts).
  const config = { ...baseConfig, feeds: { limit: 3, keepEmptyDays: 0.25 } };
  const base = { config, contentDir: site.contentDir, cwd: site.root, parallel: false };
  const oneOff = { ...base, outDir: path.join(site.root, 'one-off'), cacheDir: path.join(site.root, '.cache'), reuseLastResult: true };
  const publisher = { ...base, outDir: path.join(site.root, 'publisher'), cache: new BuildCache('') };
  let prepared: { proof: PreparedProof; report: BuildReport } | undefined;

  for (const step of [{ op: 'clock', hours: 0 } as Op, ...ops]) {
    const touched = await apply(step);
    // Cold: no cache, nothing reused; what it publishes depends on the last publication only through
    // the feeds it keeps empty a while (publish/emptied.ts), read from the one-off's manifest, as the publisher's has the same.
    const cold = await build({ ...base, outDir: oneOff.outDir, now, write: false });
    const a = await build({ ...oneOff, now });
    const b = await build({ ...publisher, now, ...(touched ? { changedPaths: touched } : {}) });
    const what = `after ${JSON.stringify(step)} at ${now.toISOString()}`;
    expect(a.ok, what).toBe(cold.ok);
    expect(b.ok, what).toBe(cold.ok);
    expect(said(a), `one-off build's diagnostics ${what}`).toEqual(said(cold));
    expect(said(b), `publisher's diagnostics ${what}`).toEqual(said(cold));
    if (!cold.ok) taken.failed++;
    if (said(cold).some((d) => d.startsWith('updated-before-date'))) taken.updatedBefore++;
    if (a.kind === 'stands') taken.stands++;
    if (a.kind === 'changed-only') taken.changedOnly++;
    if (b.stats.reused > 0) taken.publisherReused++;
    if (cold.feeds.some((f) => f.key !== 'main' && !f.archive && f.items === 0)) taken.keptEmpty++;
    if (a.write?.removed.some((f) => /^(tags|sections|authors)\/[^/]+\/feed\.json$/.test(f))) taken.emptyLeft++;
    if (cold.ok) {
      await expectSameAsCold(oneOff.outDir, cold, `one-off build ${what}`);
      await expectSameAsCold(publisher.outDir, cold, `publisher ${what}`);
      // What the publisher remembers of its publication, updated from the last build's (build/carried.ts): as a cold build makes it.
      expect(carriedOfReport(b), `publisher's carried articles ${what}`).toEqual(carriedOfReport(cold));
      if (prepared && preparedHolds(prepared.proof, inputsDigest(site.contentDir), now)) {
        taken.prepared++;
        expect(new Map(prepared.report.files), `prepared build ${what}`).toEqual(cold.files);
        expect(said(prepared.report), `prepared build's diagnostics ${what}`).toEqual(said(cold));
      }
      const inputs = inputsDigest(site.contentDir);
      const report = await build({ ...base, outDir: oneOff.outDir, now, write: false });
      prepared = { proof: { inputs, window: report.window }, report };
    }
  }

  /** Applies one step; the content files it touched (for the publisher's watcher), or undefined. */
  async function apply(step: Op): Promise<string[] | undefined> {
    const rels = [...stories.keys()].sort();
    const pickRel = (n: number) => rels[n % rels.length];
    const abs = (rel: string) => path.join(site.contentDir, rel);
    if (step.op === 'clock') {
      now = new Date(now.getTime() + step.hours * HOUR);
      return undefined;
    }
    if (step.op === 'clockAt') {
      const updated = rels.map((r) => stories.get(r)!.updated).filter((u) => u !== undefined);
      if (updated.length) now = new Date(T0 + updated[step.pick % updated.length]! * HOUR + step.minutes * 60_000);
      return undefined;
    }
    if (step.op === 'add') {
      const s: Story = { name: `k${String(serial++).padStart(3, '0')}`, rev: 0, hours: step.hours, draft: false, tags: step.tags, ...(step.updated !== undefined ? { updated: step.updated } : {}) };
      stories.set(`${s.name}.md`, s);
      await put(`${s.name}.md`, s);
      return [abs(`${s.name}.md`)];
    }
    const rel = pickRel(step.pick);
    if (!rel) return undefined;
    const s = stories.get(rel)!;
    if (step.op === 'remove') {
      stories.delete(rel);
      await rm(abs(rel));
      return [abs(rel)];
    }
    if (step.op === 'move') {
      const to = path.posix.join(step.folder, step.rename ? `${s.name}-moved.md` : path.posix.basename(rel));
      if (to === rel || stories.has(to)) return undefined;
      await mkdir(path.dirname(abs(to)), { recursive: true });
      await rename(abs(rel), abs(to));
      stories.delete(rel);
      stories.set(to, s);
      return [abs(rel), abs(to)];
    }
    if (step.op === 'edit') s.rev++;
    if (step.op === 'redate') s.hours = step.hours;
    if (step.op === 'update') {
      if (step.hours === undefined) delete s.updated;
      else s.updated = step.hours + (step.from === 'date' ? s.hours : (now.getTime() - T0) / HOUR);
    }
    if (step.op === 'draft') s.draft = step.draft;
    if (step.op === 'retag') {
      s.tags = step.tags;
      if (step.section) s.section = step.section;
      else delete s.section;
    }
    await put(rel, s);
    return [abs(rel)];
  }
}

/** The articles a report carries: by path with their hash, and by id in the record's order (build/carried.ts). */
function carriedOfReport(report: BuildReport) {
  return {
    byPath: [...((report.kind === 'full' ? report.carried : undefined) ?? [])].map(([p, e]) => [p, e.hash, e.article.title]).sort(),
    items: [...(report.items?.articles ?? [])].map(([id, a]) => [id, a.source.relPath, a.title, a.date.getTime()]),
  };
}

/**
 * What a build said, in an order that does not depend on which path found it. Not the renamed-id
 * warning: it compares with the last publication's items when a build writes (build/renamed.ts),
 * and the cold build here writes nothing.
 */
function said(report: BuildReport): string[] {
  return report.diagnostics.filter((d) => d.code !== 'id-changed').map((d) => `${d.code} ${d.severity} ${d.file}:${d.line}:${d.column} ${d.field ?? ''} ${d.message}`).sort();
}

async function expectSameAsCold(outDir: string, cold: BuildReport, what: string): Promise<void> {
  const manifest = parseManifest(await readFile(path.join(outDir, '.feedpipe-manifest.json'), 'utf8'));
  expect(manifest.files.slice().sort(), what).toEqual([...cold.files.keys()].sort());
  const hidden = [...cold.scheduled, ...cold.drafts].map((a) => a.title.split(' ')[1]!);
  for (const [rel, text] of cold.files) {
    const published = await readFile(path.join(outDir, rel), 'utf8');
    expect(published, `${what}: ${rel}`).toBe(text);
    for (const name of hidden) expect(published.includes(name), `${what}: ${rel} carries hidden ${name}`).toBe(false);
  }
}

describe('every shortcut build equals a cold build of the same content at the same instant', () => {
  it(
    'over random sequences of edits, moves, deletions, drafts, date and updated changes and clock steps',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 4, maxLength: 14 }), (ops) => runSequence(ops)),
        { numRuns: RUNS, ...SEED },
      );
      if (process.env.FEEDPIPE_PROPERTY_RUNS) console.log(`shortcuts taken over ${RUNS} sequences:`, taken);
      expect(taken.stands, 'the standing proof was never taken').toBeGreaterThan(0);
      expect(taken.changedOnly, 'the changed-only build was never taken').toBeGreaterThan(0);
      expect(taken.publisherReused, 'the publisher never reused an article').toBeGreaterThan(0);
      expect(taken.prepared, 'a prepared build was never published').toBeGreaterThan(0);
      expect(taken.failed, 'no step ever failed (an updated later than the clock)').toBeGreaterThan(0);
      expect(taken.updatedBefore, 'no step ever warned of an updated before its date').toBeGreaterThan(0);
      expect(taken.keptEmpty, 'no feed was ever kept empty').toBeGreaterThan(0);
      expect(taken.emptyLeft, 'no feed ever left').toBeGreaterThan(0);
    },
    // About a second a sequence on a quiet machine; ten for a shared, loaded one.
    Math.max(120_000, RUNS * 10_000),
  );
});
