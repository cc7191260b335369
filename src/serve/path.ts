/** Longest request path (before the query) the server looks at; feedpipe's own paths are far shorter. */
export const MAX_PATH_LENGTH = 1024;

export type PathResult = { ok: true; key: string } | { ok: false; status: 400 | 404; reason: string };

const bad = (reason: string): PathResult => ({ ok: false, status: 400, reason });
const notFound = (reason: string): PathResult => ({ ok: false, status: 404, reason });

/**
 * The request target → the published file it names, as a key of the
 * server's snapshot (`feed.xml`, `tags/x/atom.json`, `index.html`).
 *
 * The server only ever answers from its in-memory snapshot of the files the
 * build published, so no request can reach another file whatever it says;
 * this gives hostile targets a clear 400 instead of a lookup. The path is
 * decoded exactly once: `%2e%2e` is `..` and refused; `%252e` stays the
 * literal `%2e`, which names nothing. Encoded slashes and backslashes, NUL
 * and other controls, dot segments and malformed escapes are 400; dotfiles
 * (the manifest, temp files) are 404, like anything else not published.
 * A path ending in `/` names its index.html.
 */
export function resolveRequestPath(target: string | undefined): PathResult {
  if (!target) return bad('empty request target');
  let raw = target;
  // absolute-form (RFC 9112 3.2.2), which a server must accept: keep the path.
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(raw);
  if (absolute) raw = raw.slice(absolute[0].length) || '/';
  const end = raw.search(/[?#]/);
  if (end >= 0) raw = raw.slice(0, end);
  if (!raw.startsWith('/')) return bad('the request target must be a path');
  if (raw.length > MAX_PATH_LENGTH) return bad('path too long');
  if (/%(2f|5c|00)/i.test(raw)) return bad('encoded slash, backslash or NUL in the path');
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return bad('malformed percent-encoding');
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(path)) return bad('control character or backslash in the path');
  const segments = path.slice(1).split('/');
  for (const s of segments) {
    if (s === '.' || s === '..') return bad('dot segment in the path');
  }
  if (segments.some((s) => s.startsWith('.'))) return notFound('not found');
  const key = path.endsWith('/') ? path.slice(1) + 'index.html' : path.slice(1);
  return { ok: true, key };
}
