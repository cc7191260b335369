/**
 * A Markdown file's bytes as frontmatter head and body, without parsing either: what
 * splitSource starts from, and all a renderer needs (it never loads a YAML parser).
 */
/** Strict: a file that is not UTF-8 is an error, not mojibake. Reusable: decode() without `stream` starts afresh. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
/** For the body: a U+FEFF there is text, not a byte order mark. */
const utf8Text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Searched as bytes: Buffer#indexOf with a string argument encodes the string on every call. */
const CLOSING = Buffer.from('\n---');

/**
 * The file's text as two strings, cut after the line that closes the frontmatter (by gray-matter's
 * rule: the first line after the first that starts with ---), line endings made \n. Decoded apart
 * on purpose: V8 slices keep their whole parent alive, and the frontmatter and every value parsed
 * from it are slices, so an Article kept in memory holds only this small head, not its whole file
 * (55 MB for 10 000 articles otherwise). gray-matter, which copies and hashes all it is given,
 * gets only the head too. Undefined when the bytes are not UTF-8.
 */
export function decodeHeadAndBody(buffer: Buffer): { head: string; body: string } | undefined {
  const firstNewline = buffer.indexOf(0x0a);
  const closeAt = firstNewline === -1 ? -1 : buffer.indexOf(CLOSING, firstNewline);
  const closeEnd = closeAt === -1 ? -1 : buffer.indexOf(0x0a, closeAt + 1);
  let head: string;
  let body = '';
  try {
    head = utf8.decode(closeEnd === -1 ? buffer : buffer.subarray(0, closeEnd + 1));
    if (closeEnd !== -1) body = utf8Text.decode(buffer.subarray(closeEnd + 1));
  } catch {
    return undefined;
  }
  if (head.includes('\r')) head = head.replace(/\r\n?/g, '\n');
  if (body.includes('\r')) body = body.replace(/\r\n?/g, '\n');
  if (closeEnd === -1) {
    // No \n---: no frontmatter, or lines ended by \r alone, which only now are \n. Cut here then,
    // and copy the head (a UTF-8 round trip is exact: the text came from a strict decoder).
    const at = head.indexOf('\n---', Math.max(0, head.indexOf('\n')));
    const end = at === -1 ? -1 : head.indexOf('\n', at + 1);
    if (end !== -1 && end + 1 < head.length) return { head: Buffer.from(head.slice(0, end + 1)).toString('utf8'), body: head.slice(end + 1) };
  }
  return { head, body };
}


/** The body of a file already split and validated (its hash checked): the text the renderer renders. */
export function bodyOf(buffer: Buffer): string {
  return decodeHeadAndBody(buffer)?.body ?? '';
}
