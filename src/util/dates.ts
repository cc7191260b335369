/**
 * Dates as authors write them. A value with an offset is an instant; one
 * without is a wall-clock time in the site's timezone. Anything that is not a
 * real moment is refused, never rolled over: JavaScript's Date happily turns
 * Feb 30 into Mar 2, which would publish an embargoed article early.
 */
import { CATALOGUE } from '../diagnostics/catalogue.js';
const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

export type DateResult = { ok: true; date: Date } | { ok: false; message: string; hint: string };

export function parseDate(raw: string, timeZone: string): DateResult {
  const text = raw.trim();
  const m = PATTERN.exec(text);
  if (!m) {
    return {
      ok: false,
      message: `"${raw}" is not an ISO 8601 date`,
      hint: CATALOGUE['invalid-date'].hint,
    };
  }
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', offset] = m;
  const year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  if (month < 1 || month > 12) return notReal(raw, `month ${month} does not exist`);
  if (day < 1 || day > daysInMonth(year, month)) return notReal(raw, `${monthName(month)} ${year} has ${daysInMonth(year, month)} days`);
  if (hour > 23 || minute > 59 || second > 59) return notReal(raw, 'the time of day is out of range');
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (offset) {
    if (offset.toUpperCase() === 'Z') return { ok: true, date: new Date(wall) };
    const sign = offset[0] === '-' ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2)), om = Number(digits.slice(2));
    if (oh > 23 || om > 59) return notReal(raw, `offset ${offset} is out of range`);
    return { ok: true, date: new Date(wall - sign * (oh * 60 + om) * 60_000) };
  }
  const instant = zonedWallTimeToInstant(wall, timeZone);
  if (instant === undefined) {
    return {
      ok: false,
      message: `"${raw}" does not exist in ${timeZone}: the clocks skip that time (daylight saving)`,
      hint: 'pick a time outside the gap, or give an explicit offset such as +01:00',
    };
  }
  return { ok: true, date: new Date(instant) };
}

function notReal(raw: string, why: string): DateResult {
  return { ok: false, message: `"${raw}" is not a real date: ${why}`, hint: 'correct the date; feedpipe never rolls an impossible date over' };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function monthName(month: number): string {
  return new Date(Date.UTC(2000, month - 1, 1)).toLocaleString('en', { month: 'long', timeZone: 'UTC' });
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zones the runtime lists (canonical IANA names); read once, in ~2 ms. */
let listed: Set<string> | undefined;

/**
 * Whether Intl knows the zone. A listed name is one without making a formatter (its first costs
 * ~25 ms of ICU data loading, which a build that never converts a local time then saves); an
 * alias such as UTC or US/Eastern is tried with one.
 */
export function isValidTimeZone(timeZone: string): boolean {
  listed ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (listed.has(timeZone)) return true;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's wall-clock time at `instant`, as milliseconds of a UTC-based timeline. */
export function wallTime(instant: number, timeZone: string): number {
  return instant + offsetAt(instant, timeZone);
}

const BUCKET = 86_400_000;
const offsets = new Map<string, Map<number, number>>();

/**
 * UTC offset of the zone at `instant`. Intl is slow (~10 µs a call), so offsets
 * are cached at UTC midnights; where the two marks around `instant` agree, no
 * transition lies between them, otherwise the exact value is computed. That
 * holds because no zone changes its offset and back within one day (the
 * shortest interval in the tz database is Morocco's Ramadan suspension, about
 * a month). Articles of a site share days, so a build of thousands of articles
 * asks Intl a few hundred times instead of tens of thousands.
 */
function offsetAt(instant: number, timeZone: string): number {
  let zone = offsets.get(timeZone);
  if (!zone) offsets.set(timeZone, (zone = new Map()));
  // Keyed by the day's number, a small integer, which a Map hashes faster than a millisecond count.
  const day = Math.floor(instant / BUCKET);
  const before = midnightOffset(zone, day, timeZone);
  return before === midnightOffset(zone, day + 1, timeZone) ? before : exactOffset(instant, timeZone);
}

function midnightOffset(zone: Map<number, number>, day: number, timeZone: string): number {
  let o = zone.get(day);
  if (o === undefined) zone.set(day, (o = exactOffset(day * BUCKET, timeZone)));
  return o;
}

function exactOffset(instant: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instant))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const seconds = Math.floor(instant / 1000) * 1000;
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) - seconds;
}

/**
 * The instant at which the zone's clocks show `wall`. In a fall-back overlap
 * the earlier instant is chosen (the first time the clock shows it); in a
 * spring-forward gap there is none and the result is undefined.
 */
export function zonedWallTimeToInstant(wall: number, timeZone: string): number | undefined {
  // Offsets are within ±18 h and change at most once a day or so: the offsets a day
  // either side cover both sides of any transition near `wall`.
  const before = wallTime(wall - 86_400_000, timeZone) - (wall - 86_400_000);
  const after = wallTime(wall + 86_400_000, timeZone) - (wall + 86_400_000);
  let best: number | undefined;
  for (const offset of before === after ? [before] : [before, after]) {
    const instant = wall - offset;
    if (wallTime(instant, timeZone) === wall && (best === undefined || instant < best)) best = instant;
  }
  return best;
}

/** Calendar parts of an instant in a zone, for permalinks. */
export function zonedParts(date: Date, timeZone: string): { yyyy: string; mm: string; dd: string } {
  const w = new Date(wallTime(date.getTime(), timeZone));
  return {
    yyyy: String(w.getUTCFullYear()).padStart(4, '0'),
    mm: String(w.getUTCMonth() + 1).padStart(2, '0'),
    dd: String(w.getUTCDate()).padStart(2, '0'),
  };
}
