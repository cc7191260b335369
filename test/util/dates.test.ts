import { describe, expect, it } from 'vitest';
import { parseDate, zonedParts } from '../../src/util/dates.js';

const ok = (raw: string, tz = 'UTC') => {
  const r = parseDate(raw, tz);
  if (!r.ok) throw new Error(r.message);
  return r.date.toISOString();
};
const err = (raw: string, tz = 'UTC') => {
  const r = parseDate(raw, tz);
  if (r.ok) throw new Error(`accepted ${raw} as ${r.date.toISOString()}`);
  return r.message;
};

describe('parseDate', () => {
  it('reads instants with an offset as given', () => {
    expect(ok('2025-03-01T09:30:00Z')).toBe('2025-03-01T09:30:00.000Z');
    expect(ok('2025-03-01T09:30:00+09:00', 'Europe/London')).toBe('2025-03-01T00:30:00.000Z');
    expect(ok('2025-03-01T09:30:00.123-05:30')).toBe('2025-03-01T15:00:00.123Z');
    expect(ok('2025-03-01 09:30Z')).toBe('2025-03-01T09:30:00.000Z');
  });

  it('reads dates and local times in the site timezone', () => {
    expect(ok('2025-07-01', 'Europe/London')).toBe('2025-06-30T23:00:00.000Z');
    expect(ok('2025-01-15T09:00', 'Europe/London')).toBe('2025-01-15T09:00:00.000Z');
    expect(ok('2025-07-01T09:00', 'America/New_York')).toBe('2025-07-01T13:00:00.000Z');
    expect(ok('2025-07-01T09:00', 'Asia/Kolkata')).toBe('2025-07-01T03:30:00.000Z');
  });

  it('refuses dates that do not exist instead of rolling them over', () => {
    expect(err('2025-02-30')).toMatch(/not a real date: February 2025 has 28 days/);
    expect(err('2024-02-30')).toMatch(/February 2024 has 29 days/);
    expect(ok('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
    expect(err('2025-13-01')).toMatch(/month 13/);
    expect(err('2025-00-10')).toMatch(/month 0/);
    expect(err('2025-04-31')).toMatch(/30 days/);
    expect(err('2025-01-01T24:00')).toMatch(/time of day/);
    expect(err('2025-01-01T10:60')).toMatch(/time of day/);
    expect(err('2025-01-01T10:00+25:00')).toMatch(/offset/);
    expect(err('')).toMatch(/not an ISO 8601 date/);
    expect(err('yesterday')).toMatch(/not an ISO 8601 date/);
    expect(err('01/02/2025')).toMatch(/not an ISO 8601 date/);
  });

  it('refuses a local time the clocks skip (spring forward)', () => {
    expect(err('2025-03-30T01:30', 'Europe/London')).toMatch(/does not exist in Europe\/London/);
    expect(err('2025-03-09T02:30', 'America/New_York')).toMatch(/does not exist/);
    expect(ok('2025-03-30T02:00', 'Europe/London')).toBe('2025-03-30T01:00:00.000Z');
  });

  it('reads a repeated local time (fall back) as its first occurrence', () => {
    expect(ok('2025-10-26T01:30', 'Europe/London')).toBe('2025-10-26T00:30:00.000Z');
    expect(ok('2025-11-02T01:30', 'America/New_York')).toBe('2025-11-02T05:30:00.000Z');
  });

  it('gives calendar parts in the site zone for permalinks', () => {
    expect(zonedParts(new Date('2025-06-30T23:30:00Z'), 'Europe/London')).toEqual({ yyyy: '2025', mm: '07', dd: '01' });
    expect(zonedParts(new Date('2025-06-30T23:30:00Z'), 'UTC')).toEqual({ yyyy: '2025', mm: '06', dd: '30' });
  });
});
