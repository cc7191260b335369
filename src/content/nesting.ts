/** Deeper than this, Markdown parsers slow down quadratically or overflow the stack; no article needs it. */
export const MAX_NESTING = 64;
const CONTAINER_PREFIX = /^(?:[ \t]*(?:>|[-+*](?=[ \t])|\d{1,9}[.)](?=[ \t])))/;

/** The first line whose blockquote/list nesting or indentation is beyond what feedpipe renders. */
export function findExcessiveNesting(body: string): { line: number; depth: number } | undefined {
  let line = 0;
  for (const text of body.split('\n')) {
    line++;
    const indent = /^[ \t]*/.exec(text)![0].replace(/\t/g, '    ').length;
    let rest = text;
    let depth = 0;
    for (let m = CONTAINER_PREFIX.exec(rest); m && depth <= MAX_NESTING; m = CONTAINER_PREFIX.exec(rest)) {
      depth++;
      rest = rest.slice(m[0].length);
    }
    if (depth > MAX_NESTING || indent > MAX_NESTING * 4) return { line, depth: Math.max(depth, Math.floor(indent / 4)) };
  }
  return undefined;
}
