/**
 * Proactive negotiation (RFC 9110 section 12) for the two choices the server
 * makes: the content coding (Accept-Encoding) and, for RSS and Atom, whether
 * a browser gets the feed as application/xml so it applies the stylesheet
 * (Accept). Pure functions of header values; the server caches results.
 */

export type Coding = 'br' | 'gzip' | 'identity';

/** Server preference when the client's weights tie: smallest first. */
const CODINGS: Coding[] = ['br', 'gzip', 'identity'];

/** `q` is 0 to 1 with at most three decimals (RFC 9110 12.4.2); anything else makes the element unusable. */
function parseQ(params: string[]): number | undefined {
  let q = 1;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    if (p.slice(0, eq).trim().toLowerCase() !== 'q') continue;
    const v = p.slice(eq + 1).trim();
    if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(v)) return undefined;
    q = Number(v);
  }
  return q;
}

/**
 * The codings the client accepts, best first (RFC 9110 12.5.3): by weight,
 * br before gzip before identity on a tie, each with a weight above zero, and
 * identity last whatever the header says. No header: identity; clients that
 * want compression ask for it. An empty header means "no coding". `x-gzip` is
 * gzip (RFC 9110 8.4.1.3). When nothing is acceptable (`identity;q=0` or
 * `*;q=0` and no coding we have), identity: since RFC 7231 the spec prefers an
 * uncoded 200 to a 406, as the most interoperable answer. The server sends the
 * first coding it has ready for the file (identity always is).
 */
export function rankEncodings(header: string | undefined): readonly Coding[] {
  if (header === undefined) return IDENTITY_ONLY;
  const weights = new Map<string, number>();
  for (const element of header.split(',')) {
    const [name, ...params] = element.split(';');
    let coding = name!.trim().toLowerCase();
    if (!coding) continue;
    if (coding === 'x-gzip') coding = 'gzip';
    const q = parseQ(params);
    if (q === undefined) continue;
    // A coding listed twice: the highest weight wins, as a lenient reading of a malformed header.
    weights.set(coding, Math.max(q, weights.get(coding) ?? 0));
  }
  const star = weights.get('*');
  const weight = (c: Coding): number => {
    const explicit = weights.get(c);
    if (explicit !== undefined) return explicit;
    if (star !== undefined) return star;
    // Identity is acceptable unless excluded, but a client that lists codings prefers them:
    // unlisted, it weighs less than any listed coding.
    return c === 'identity' ? 0.0001 : 0;
  };
  // A stable sort keeps the server's order (br, gzip, identity) among equal weights.
  const ranked = CODINGS.filter((c) => c !== 'identity' && weight(c) > 0 && weight(c) >= weight('identity')).sort((a, b) => weight(b) - weight(a));
  return ranked.length ? [...ranked, 'identity'] : IDENTITY_ONLY;
}

const IDENTITY_ONLY: readonly Coding[] = Object.freeze(['identity']);

/** The coding to send when every coding is ready: the first of rankEncodings. */
export function negotiateEncoding(header: string | undefined): Coding {
  return rankEncodings(header)[0]!;
}

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const element of header.split(',')) {
    const [range, ...params] = element.split(';');
    const [type, subtype] = range!.trim().toLowerCase().split('/');
    if (!type || !subtype) continue;
    const q = parseQ(params);
    if (q === undefined) continue;
    ranges.push({ type, subtype, q });
  }
  return ranges;
}

/** The weight of `mediaType` under the most specific matching range (RFC 9110 12.5.1), 0 if none matches. */
function acceptWeight(ranges: MediaRange[], mediaType: string): number {
  const [type, subtype] = mediaType.split('/');
  let specificity = -1;
  let q = 0;
  for (const r of ranges) {
    const s = r.type === type && r.subtype === subtype ? 2 : r.type === type && r.subtype === '*' ? 1 : r.type === '*' && r.subtype === '*' ? 0 : -1;
    if (s > specificity) {
      specificity = s;
      q = r.q;
    }
  }
  return q;
}

/**
 * Whether to send an RSS or Atom feed as `application/xml` instead of its own
 * type: only when the client prefers application/xml strictly. Feed readers
 * send no Accept, `*` `/` `*`, or name the feed types, and get the feed type;
 * a browser navigating (`text/html,…,application/xml;q=0.9,*` `/` `*;q=0.8`)
 * gets application/xml, the only way Chromium applies the XSL stylesheet (it
 * shows application/rss+xml and application/atom+xml as plain text).
 */
export function prefersGenericXml(accept: string | undefined, feedType: string): boolean {
  if (!accept) return false;
  const ranges = parseAccept(accept);
  return acceptWeight(ranges, 'application/xml') > acceptWeight(ranges, feedType);
}

/**
 * If-None-Match (RFC 9110 13.1.2): `*`, or a list of entity tags compared with
 * the weak function (a W/ prefix is ignored).
 */
export function etagMatches(header: string, etag: string): boolean {
  if (header === etag) return true;
  for (const raw of header.split(',')) {
    const tag = raw.trim();
    if (tag === '*') return true;
    if ((tag.startsWith('W/') ? tag.slice(2) : tag) === etag) return true;
  }
  return false;
}

/**
 * If-Match (RFC 9110 13.1.1): `*` (the resource has a current representation,
 * which every served file has), or a list of entity tags compared with the
 * strong function (8.8.3.2): a weak tag (`W/"…"`) never matches.
 */
export function etagMatchesStrongly(header: string, etag: string): boolean {
  if (header === etag) return true;
  for (const raw of header.split(',')) {
    const tag = raw.trim();
    // Our tags are strong, so only the same characters are the same tag; W/ never is.
    if (tag === '*' || tag === etag) return true;
  }
  return false;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const TIME = String.raw`(?<h>\d{2}):(?<m>\d{2}):(?<s>\d{2})`;
const HTTP_DATE_FORMS = [
  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  new RegExp(String.raw`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (?<day>\d{2}) (?<month>[A-Z][a-z]{2}) (?<year>\d{4}) ${TIME} GMT$`),
  // obsolete RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
  new RegExp(String.raw`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (?<day>\d{2})-(?<month>[A-Z][a-z]{2})-(?<yy>\d{2}) ${TIME} GMT$`),
  // obsolete asctime: Sun Nov  6 08:49:37 1994
  new RegExp(String.raw`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?<month>[A-Z][a-z]{2}) (?<day>[ \d]\d) ${TIME} (?<year>\d{4})$`),
];

/**
 * An HTTP-date (RFC 9110 5.6.7) in any of its three forms, in milliseconds,
 * or undefined. Not Date.parse: it reads the asctime form, which has no zone,
 * in the machine's local time, and accepts much that is not an HTTP-date.
 */
export function parseHttpDate(text: string, now = new Date()): number | undefined {
  for (const form of HTTP_DATE_FORMS) {
    const g = form.exec(text)?.groups;
    if (!g) continue;
    let year = Number(g.year);
    if (g.yy !== undefined) {
      // A two-digit year more than 50 years ahead is the most recent past year with those digits.
      const current = now.getUTCFullYear();
      year = Math.floor(current / 100) * 100 + Number(g.yy);
      if (year > current + 50) year -= 100;
    }
    const month = MONTHS.indexOf(g.month!);
    const [day, h, m, s] = [Number(g.day!.trim()), Number(g.h), Number(g.m), Number(g.s)];
    if (month < 0) return undefined;
    const ms = Date.UTC(year, month, day, h, m, s);
    const d = new Date(ms);
    // Date.UTC rolls Feb 30 over to March; an HTTP-date that does so is not one.
    if (d.getUTCMonth() !== month || d.getUTCDate() !== day || d.getUTCHours() !== h || d.getUTCMinutes() !== m || d.getUTCSeconds() !== s) return undefined;
    return ms;
  }
  return undefined;
}
