import { describe, expect, it } from 'vitest';
import { holdsAt, sameToSelect, select, updatedLater } from '../../src/publish/select.js';
import { fakeArticle } from '../helpers/articles.js';

const at = (iso: string) => new Date(iso);

describe('select: the one decision of what is public', () => {
  const past = fakeArticle({ id: 'p', date: at('2026-01-01T00:00:00Z') });
  const newer = fakeArticle({ id: 'n', date: at('2026-03-01T00:00:00Z') });
  const exactlyNow = fakeArticle({ id: 'e', date: at('2026-06-01T12:00:00Z') });
  const future = fakeArticle({ id: 'f', date: at('2026-06-01T12:00:01Z') });
  const later = fakeArticle({ id: 'l', date: at('2027-01-01T00:00:00Z') });
  const draft = fakeArticle({ id: 'd', date: at('2020-01-01T00:00:00Z'), draft: true });
  const now = at('2026-06-01T12:00:00Z');

  it('publishes what is dated at or before now, newest first; never a draft; never a second early', () => {
    const s = select([later, past, draft, future, newer, exactlyNow], now);
    expect(s.visible.map((a) => a.id)).toEqual(['e', 'n', 'p']);
    expect(s.scheduled.map((a) => a.id)).toEqual(['f', 'l']);
    expect(s.drafts.map((a) => a.id)).toEqual(['d']);
    expect(s.nextDue).toEqual(future.date);
  });

  it('orders articles of the same instant by id, so every build sorts them alike', () => {
    const b = fakeArticle({ id: 'b', date: past.date });
    const a = fakeArticle({ id: 'a', date: past.date });
    expect(select([b, a], now).visible.map((x) => x.id)).toEqual(['a', 'b']);
    expect(select([a, b], now).visible.map((x) => x.id)).toEqual(['a', 'b']);
  });

  it('says over which clocks its answer holds: from the newest public date up to, not including, the next due date', () => {
    const { window } = select([past, newer, future], now);
    expect(window).toEqual({ validFrom: newer.date.getTime(), validUntil: future.date.getTime() });
    expect(holdsAt(window, newer.date.getTime())).toBe(true);
    expect(holdsAt(window, newer.date.getTime() - 1)).toBe(false); // `newer` would be hidden again
    expect(holdsAt(window, future.date.getTime() - 1)).toBe(true);
    expect(holdsAt(window, future.date.getTime())).toBe(false); // `future` falls due
  });

  it('has a window open at both ends on an empty site, and open at the top with nothing scheduled', () => {
    expect(holdsAt(select([], now).window, -1e15)).toBe(true);
    const { window } = select([past], now);
    expect(window.validUntil).toBeUndefined();
    expect(holdsAt(window, Date.parse('2100-01-01T00:00:00Z'))).toBe(true);
  });

  it('the window is exact: at every clock inside it, select gives the same answer', () => {
    const articles = [past, newer, future, later, draft];
    const { window, visible } = select(articles, now);
    for (const t of [window.validFrom, now.getTime(), window.validUntil! - 1]) {
      expect(select(articles, new Date(t)).visible).toEqual(visible);
    }
    expect(select(articles, new Date(window.validUntil!)).visible).not.toEqual(visible);
    expect(select(articles, new Date(window.validFrom - 1)).visible).not.toEqual(visible);
  });

  it('sameToSelect compares exactly what select reads: id, draft flag, date and updated', () => {
    expect(sameToSelect(past, { id: 'p', draft: false, date: past.date.getTime() })).toBe(true);
    expect(sameToSelect(past, fakeArticle({ id: 'p', date: past.date, title: 'Other title' }))).toBe(true);
    expect(sameToSelect(past, { ...past, id: 'q' })).toBe(false);
    expect(sameToSelect(past, { ...past, draft: true })).toBe(false);
    expect(sameToSelect(past, { ...past, date: new Date(past.date.getTime() + 1) })).toBe(false);
    const edited = { ...past, updated: at('2026-02-01T00:00:00Z') };
    expect(sameToSelect(past, edited)).toBe(false);
    expect(sameToSelect(edited, past)).toBe(false);
    expect(sameToSelect(edited, { id: 'p', draft: false, date: past.date.getTime(), updated: edited.updated.getTime() })).toBe(true);
    expect(sameToSelect(edited, { ...edited, updated: at('2026-02-01T00:00:01Z') })).toBe(false);
  });
});

describe("select's window and each public article's updated date", () => {
  const now = at('2026-06-01T12:00:00Z');
  const edited = fakeArticle({ id: 'u', date: at('2026-01-01T00:00:00Z'), updated: at('2026-05-01T00:00:00Z') });
  const newest = fakeArticle({ id: 'n', date: at('2026-03-01T00:00:00Z') });
  const editLater = fakeArticle({ id: 'x', date: at('2026-02-01T00:00:00Z'), updated: at('2026-07-01T00:00:00Z') });
  const dueEditedLater = fakeArticle({ id: 'f', date: at('2026-09-01T00:00:00Z'), updated: at('2026-12-01T00:00:00Z') });

  it('starts no earlier than the latest updated of a public article: a clock before it would make the build fail', () => {
    const { window } = select([edited, newest, dueEditedLater], now);
    expect(window).toEqual({ validFrom: edited.updated!.getTime(), validUntil: dueEditedLater.date.getTime() });
    expect(holdsAt(window, edited.updated!.getTime() - 1)).toBe(false);
    expect(updatedLater(select([edited, newest], new Date(edited.updated!.getTime() - 1)).visible, new Date(edited.updated!.getTime() - 1))).toEqual([edited]);
  });

  it('ends no later than a public article\'s updated still to come: from then on the build no longer fails', () => {
    const { window, visible } = select([edited, newest, editLater, dueEditedLater], now);
    expect(updatedLater(visible, now)).toEqual([editLater]);
    expect(window).toEqual({ validFrom: edited.updated!.getTime(), validUntil: editLater.updated!.getTime() });
    const after = new Date(editLater.updated!.getTime());
    expect(updatedLater(select([edited, newest, editLater], after).visible, after)).toEqual([]);
  });

  it("reads only public articles' updated: a draft's or a scheduled one's moves nothing", () => {
    const draft = fakeArticle({ id: 'd', date: at('2026-01-01T00:00:00Z'), updated: at('2026-12-01T00:00:00Z'), draft: true });
    const { window, visible } = select([newest, draft, dueEditedLater], now);
    expect(window).toEqual({ validFrom: newest.date.getTime(), validUntil: dueEditedLater.date.getTime() });
    expect(updatedLater(visible, now)).toEqual([]);
  });

  it('the window is exact for updated too: inside it, the same articles are public and the same are edited later', () => {
    const articles = [edited, newest, editLater, dueEditedLater];
    const answer = (t: number) => {
      const s = select(articles, new Date(t));
      return { visible: s.visible.map((a) => a.id), later: updatedLater(s.visible, new Date(t)).map((a) => a.id) };
    };
    for (const t0 of [now.getTime(), editLater.updated!.getTime() + 1, Date.parse('2026-03-15T00:00:00Z')]) {
      const { window } = select(articles, new Date(t0));
      const expected = answer(t0);
      for (const t of [window.validFrom, t0, (window.validUntil ?? t0 + 1) - 1]) expect(answer(t)).toEqual(expected);
      expect(answer(window.validFrom - 1)).not.toEqual(expected);
      if (window.validUntil !== undefined) expect(answer(window.validUntil)).not.toEqual(expected);
    }
  });
});
