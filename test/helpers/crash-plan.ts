/**
 * Where test/e2e/crash.test.ts kills the publisher: a seeded plan that cycles through every
 * step of a publication and of its recovery (src/publish/steps.ts, held there by
 * FEEDPIPE_TEST_PUBLISH_HOLD_AT), and a share of kills at a random moment of a process's life.
 */

/** mulberry32: the same seed, the same plan, edits and delays. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The share of kills at a random moment of a publisher's life, not aimed at a step. */
export const RANDOM_SHARE = 0.15;

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * `STEP:K` points of a process's first publication. The test edits an article before each start,
 * so that publication renames n >= 12 files (the article is in the main feed, its section's and
 * two tags': 4 feeds in 3 formats) and stages n + 1 with the manifest; `remove:K` comes from an edit
 * that takes the Flash tag's last article out of it (its 3 feeds go).
 */
export const PUBLICATION_SLOTS = [
  ...range(1, 12).map((k) => `stage:${k}`), // k temps (the manifest's first), no journal
  'journal-open:0', // every file staged, no journal yet
  'journal-open:1', // the journal created, empty: a journal cut short
  ...range(0, 11).map((k) => `rename:${k}`), // the journal written, k files renamed
  'manifest:0', // every file renamed, not the manifest
  'manifest:1', // the manifest renamed: committed, not finished
  'remove:1',
  'remove:2',
  'clean:0', // the backups not yet removed
  'clean:1', // the backups removed, the journal not yet
];

const step = (slot: string) => slot.split(':')[0]!;
const count = (slot: string) => Number(slot.split(':')[1]);
const between = (slot: string, name: string, min: number, max: number) => step(slot) === name && count(slot) >= min && count(slot) <= max;
const leavesJournal = (s: string) => ['rename', 'manifest', 'remove', 'clean'].includes(step(s));

/**
 * Points of the recovery by the next `feedpipe start`, each with the publication points whose
 * kill leaves what it recovers (its setup, the kill before it). The undo (`undo`) is not among
 * them: a starting process finishes every publication it can, and a kill leaves none it cannot
 * (test/publish/journal.test.ts undoes them).
 */
export const RECOVERY_SLOTS: Record<string, (setup: string) => boolean> = {
  'recover-rename:1': (s) => between(s, 'rename', 0, 10),
  'recover-rename:3': (s) => between(s, 'rename', 0, 8),
  'recover-manifest:0': (s) => step(s) === 'rename' || s === 'manifest:0',
  'recover-manifest:1': (s) => step(s) === 'rename' || s === 'manifest:0',
  'recover-remove:1': (s) => s === 'remove:0',
  'recover-remove:2': (s) => s === 'remove:0',
  'recover-clean:0': leavesJournal,
  'recover-clean:1': leavesJournal,
  // At least 5 temp files left: 3 staged, with 2 backups.
  'stale-remove:1': (s) => step(s) === 'journal-open' || between(s, 'stage', 3, 99),
  'stale-remove:3': (s) => step(s) === 'journal-open' || between(s, 'stage', 3, 99),
};

/** Points that need a publication that removes files: its edit takes the Flash tag out. */
export const needsRemoval = (slot: string | undefined) => !!slot && step(slot) === 'remove';

/** How the folder a kill left is recovered, and checked whole: as `feedpipe serve` does on start, by the serve command, or by the next start. */
export type Recovery = 'as-serve' | 'serve-command' | 'start';

export interface Kill {
  /** The point to hold the publisher at; none: a random moment. */
  hold?: string;
  /** For a recovery point: a publication point to hold at if the recovery does not reach it. */
  fallback?: string;
  recovery: Recovery;
}

/** `count` kills: RANDOM_SHARE at random moments, the rest aimed, cycling through every point in a seeded order. */
export function planKills(total: number, rand: () => number): Kill[] {
  const aimed = total - Math.round(total * RANDOM_SHARE);
  const groups: (string | undefined)[][] = [];
  let planned = 0;
  let cycle: string[] = [];
  while (planned < aimed) {
    if (!cycle.length) cycle = shuffle([...PUBLICATION_SLOTS, ...Object.keys(RECOVERY_SLOTS)], rand);
    const slot = cycle.shift()!;
    const fits = RECOVERY_SLOTS[slot];
    if (!fits) {
      groups.push([slot]);
      planned++;
    } else if (planned + 2 <= aimed) {
      const i = cycle.findIndex(fits);
      const setup = i >= 0 ? cycle.splice(i, 1)[0]! : pick([...PUBLICATION_SLOTS, 'remove:0'].filter(fits), rand);
      groups.push([setup, slot]);
      planned += 2;
    }
  }
  for (let r = planned; r < total; r++) groups.splice(Math.floor(rand() * (groups.length + 1)), 0, [undefined]);
  const fallbacks = PUBLICATION_SLOTS.filter((s) => !needsRemoval(s));
  return groups.flatMap((group) =>
    group.map((hold, i): Kill => {
      // A setup's kill is left to the next start, which is held in its recovery.
      const recovery: Recovery = i < group.length - 1 ? 'start' : pickRecovery(rand);
      return { ...(hold ? { hold } : {}), ...(hold && RECOVERY_SLOTS[hold] ? { fallback: pick(fallbacks, rand) } : {}), recovery };
    }),
  );
}

function pickRecovery(rand: () => number): Recovery {
  const r = rand();
  return r < 0.25 ? 'start' : r < 0.35 ? 'serve-command' : 'as-serve';
}

/** Where a kill at `slot` lands, for the tally. */
export function phaseOf(slot: string): string {
  const name = step(slot);
  if (name === 'stage' || name === 'journal-open') return 'staging (before the commit point)';
  if (name === 'rename' || slot === 'manifest:0') return 'renaming (after the commit point, before the manifest)';
  if (name === 'manifest' || name === 'remove' || name === 'clean') return 'finishing (after the manifest)';
  return 'in the recovery by the next start';
}

function pick<T>(items: readonly T[], rand: () => number): T {
  return items[Math.floor(rand() * items.length)]!;
}

function shuffle<T>(items: T[], rand: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
