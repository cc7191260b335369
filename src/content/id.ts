/**
 * An article's explicit `id:`, checked once, where the author wrote it. The id is published as
 * written in all three formats (Atom <id>, RSS <guid isPermaLink="false">, JSON Feed `id`), so it
 * must be something all three can carry as the same identity:
 *
 * - with a scheme, an IRI (RFC 3987 section 2.2, `IRI`): no space, no control character, none of
 *   `<>"{}|\^` and the backquote, `%` only in a percent-escape; non-ASCII letters are allowed (an
 *   Atom id is an IRI, an RSS guid and a JSON id are strings), and kept as written, never
 *   percent-encoded. A `tag:` id must also have RFC 4151's shape,
 *   `tag:<domain or e-mail>,<YYYY[-MM[-DD]]>:<name>`;
 * - without one, a plain word (`story-123`: letters, digits, `-._~`, and the other characters an
 *   IRI path carries: `/`, `@`, `!$&'()*+,;=`, percent-escapes), prefixed with the site's idPrefix.
 *
 * Hand-written rather than validate-iri's regular expression: that one nests quantifiers and
 * takes seconds, then minutes, on an id of twenty-odd characters that does not match; each check
 * here is one linear scan of a character class.
 */
import { isIPv6 } from 'node:net';
import { characterEntitiesLegacy } from 'character-entities-legacy';

/** RFC 3987 ucschar and iprivate (iprivate only in a query). */
const UCSCHAR =
  '\\u{A0}-\\u{D7FF}\\u{F900}-\\u{FDCF}\\u{FDF0}-\\u{FFEF}\\u{10000}-\\u{1FFFD}\\u{20000}-\\u{2FFFD}\\u{30000}-\\u{3FFFD}\\u{40000}-\\u{4FFFD}\\u{50000}-\\u{5FFFD}' +
  '\\u{60000}-\\u{6FFFD}\\u{70000}-\\u{7FFFD}\\u{80000}-\\u{8FFFD}\\u{90000}-\\u{9FFFD}\\u{A0000}-\\u{AFFFD}\\u{B0000}-\\u{BFFFD}\\u{C0000}-\\u{CFFFD}\\u{D0000}-\\u{DFFFD}\\u{E1000}-\\u{EFFFD}';
const IPRIVATE = '\\u{E000}-\\u{F8FF}\\u{F0000}-\\u{FFFFD}\\u{100000}-\\u{10FFFD}';
const IUNRESERVED = `A-Za-z0-9\\-._~${UCSCHAR}`;
const SUB_DELIMS = "!$&'()*+,;=";

/** A run of the characters of `extra`, iunreserved and sub-delims, and percent-escapes: one linear match. */
const run = (extra: string) => new RegExp(`^(?:[${IUNRESERVED}${SUB_DELIMS}${extra}]|%[0-9A-Fa-f]{2})*$`, 'u');
const IPATH = run(':@/');
const IQUERY = run(`:@/?${IPRIVATE}`);
const IFRAGMENT = run(':@/?');
const IUSERINFO = run(':');
const IREG_NAME = run('');
const IP_FUTURE = new RegExp(`^v[0-9A-Fa-f]+\\.[A-Za-z0-9\\-._~${SUB_DELIMS}:]+$`);
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** RFC 4151 section 2.1: tag:authorityName,date:specific[#fragment]; the specific part is checked as an IRI path. */
const DNS_NAME = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*';
const TAG = new RegExp(`^tag:(?:[A-Za-z0-9._-]+@)?${DNS_NAME},(\\d{4})(?:-(\\d{2})(?:-(\\d{2}))?)?:([^#]*)(?:#(.*))?$`, 'su');

/**
 * Markup an IRI can carry but a reader may not keep: some (@rowanmanning/feed-parser) decode an
 * id's text as HTML, so `&amp;`, `&#38;`, `&copy=1` or `&lt` would reach them as `&`, `&`, `©=1`
 * and `<` while other readers keep them. HTML decodes `&#` and a digit, `&` a name `;`, and the
 * legacy names even without `;` (the longest that prefixes the text). A lone `&` stays allowed.
 */
const CHARACTER_REFERENCE = new RegExp(
  `&(?:#[0-9]+;?|#[xX][0-9A-Fa-f]+;?|[A-Za-z][A-Za-z0-9]*;|${[...characterEntitiesLegacy].sort((a, b) => b.length - a.length).join('|')})`,
);

/** Why `text` cannot be in an IRI anywhere, in words: the characters a reader notices first. */
function badCharacter(text: string): string | undefined {
  const c = /[\s\p{Cc}\u200E\u200F\u202A-\u202E<>"{}|\\^`]/u.exec(text)?.[0];
  if (c !== undefined) {
    const code = `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    if (c === ' ') return 'contains a space';
    if (/\s/u.test(c)) return `contains white space (${code}: a line break, tab or other space)`;
    if (/\p{Cc}/u.test(c)) return `contains the control character ${code}`;
    // RFC 3987 section 4.1: IRIs must not contain bidirectional formatting characters.
    if (/[\u200E\u200F\u202A-\u202E]/u.test(c)) return `contains the invisible bidirectional formatting character ${code}`;
    return `contains ${c === '"' ? "'\"'" : `"${c}"`}, which an IRI cannot carry`;
  }
  const reference = CHARACTER_REFERENCE.exec(text)?.[0];
  if (reference) return `contains "${reference}", which readers that take the id for HTML decode as a character reference`;
  const escape = /%(?![0-9A-Fa-f]{2})/.exec(text);
  if (escape) return `has "${text.slice(escape.index, escape.index + 3)}", which is not a percent-escape (% and two hexadecimal digits)`;
  return undefined;
}

/** Undefined if `iri` is an IRI (RFC 3987 `IRI`: scheme, hierarchical part, query, fragment); else why not. */
export function iriProblem(iri: string): string | undefined {
  const bad = badCharacter(iri);
  if (bad) return bad;
  const scheme = SCHEME.exec(iri);
  if (!scheme) return 'has no scheme (such as urn: or tag:)';
  let rest = iri.slice(scheme[0].length);
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    if (!IFRAGMENT.test(rest.slice(hash + 1))) return 'has a character a fragment (after #) cannot carry';
    rest = rest.slice(0, hash);
  }
  const question = rest.indexOf('?');
  if (question >= 0) {
    if (!IQUERY.test(rest.slice(question + 1))) return 'has a character a query (after ?) cannot carry';
    rest = rest.slice(0, question);
  }
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const authority = rest.slice(2, slash < 0 ? undefined : slash);
    if (!validAuthority(authority)) return `has an invalid authority "${authority}"`;
    rest = slash < 0 ? '' : rest.slice(slash);
  }
  return IPATH.test(rest) ? undefined : 'has a character an IRI path cannot carry ("[" or "]")';
}

function validAuthority(authority: string): boolean {
  const at = authority.lastIndexOf('@');
  if (at >= 0 && !IUSERINFO.test(authority.slice(0, at))) return false;
  let host = authority.slice(at + 1);
  const port = /:(\d*)$/.exec(host);
  if (port && !host.startsWith('[')) host = host.slice(0, port.index);
  else if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0 || !/^(?::\d*)?$/.test(host.slice(close + 1))) return false;
    const literal = host.slice(1, close);
    return isIPv6(literal) || IP_FUTURE.test(literal);
  }
  return IREG_NAME.test(host);
}

/** Undefined if `id` is a tag URI with RFC 4151's shape (and an IRI); else why not. */
function tagProblem(id: string): string | undefined {
  const m = TAG.exec(id);
  const [month, day] = [Number(m?.[2] ?? 1), Number(m?.[3] ?? 1)];
  if (!m || month < 1 || month > 12 || day < 1 || day > 31) {
    return 'is not a tag URI as RFC 4151 defines it: tag:<domain or e-mail>,<YYYY, YYYY-MM or YYYY-MM-DD>:<name>';
  }
  return undefined;
}

/** Why `token`, an id without a scheme, cannot be prefixed into an IRI; undefined if it can. */
function plainWordProblem(token: string): string | undefined {
  const bad = badCharacter(token);
  if (bad) return bad;
  return IPATH.test(token) ? undefined : 'has a character an IRI cannot carry there ("#", "?", "[" or "]")';
}

/**
 * The id an article is published under, from its explicit `id:` and the site's prefix, or why the
 * id is refused (a sentence to follow the quoted id).
 */
export function resolveId(written: string, prefix: string): { id: string } | { problem: string } {
  if (SCHEME.test(written)) {
    const problem = iriProblem(written) ?? (/^tag:/i.test(written) ? tagProblem(written) : undefined);
    return problem ? { problem } : { id: written };
  }
  const problem = plainWordProblem(written);
  return problem ? { problem } : { id: prefix + written };
}
