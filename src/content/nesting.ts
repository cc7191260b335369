/** Deeper than this, Markdown parsers slow down quadratically or overflow the stack; no article needs it. */
export const MAX_NESTING = 64;
const CONTAINER_PREFIX = /^(?:[ \t]*(?:>|[-+*](?=[ \t])|\d{1,9}[.)](?=[ \t])))/;

/** The first line whose blockquote/list nesting or indentation is beyond what feedpipe renders. */
export function findExcessiveNesting(body: string): { line: number; depth: number } | undefined {
  // Every nesting level costs at least one character of the line's prefix, and all of them are from
  // this set: without such a run, no line can be too deep (nearly every article).
  if (!mayBeTooDeep(body)) return undefined;
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

/** Characters a container prefix or indentation is made of. */
const PREFIX_CHARS = new Set([...' \t>*+-0123456789.)'].map((c) => c.charCodeAt(0)));

function mayBeTooDeep(body: string): boolean {
  for (let start = 0; start < body.length; ) {
    const end = body.indexOf('\n', start);
    const stop = end === -1 ? body.length : end;
    if (stop - start > MAX_NESTING) {
      let i = start;
      while (i <= start + MAX_NESTING && PREFIX_CHARS.has(body.charCodeAt(i))) i++;
      if (i > start + MAX_NESTING) return true;
    }
    start = stop + 1;
  }
  return false;
}
