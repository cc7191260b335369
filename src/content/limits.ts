/**
 * Shapes of Markdown that remark (micromark) renders in time quadratic in
 * their size, or linear with a cost per line so high that a file well under
 * limits.maxFileBytes takes minutes and gigabytes: bounded here, in one pass
 * over the body before it is parsed, each with the line and column where the
 * limit is passed. Measured per shape (remark 15, micromark 4): see
 * test/content/limits.test.ts, which renders each shape just under its limit.
 *
 * - `*`, `_` and `~` runs in one paragraph: micromark matches every closer
 *   against every opener before it (no "openers bottom" as in cmark).
 * - `[` and `]` in one paragraph: every `]` looks back at every label start,
 *   and every `(` after it scans to the end of the paragraph for a destination.
 * - table rows (~0.35 ms each) and list items (~0.45 ms each) in the whole body.
 * - lines inside quotes and lists, counted once per level: every line
 *   re-enters every container it is in (nesting.ts refuses depth on one line).
 */
export const LIMITS = {
  /** Emphasis and strikethrough delimiter runs (`*`, `_`, `~`) in one paragraph or table cell row. */
  emphasisRuns: 500,
  /** Link and image brackets (`[`, `]`) in one paragraph or table row. */
  brackets: 500,
  /** Table rows, all tables of the body together. */
  tableRows: 2_000,
  /** List items, all lists of the body together. */
  listItems: 2_000,
  /** Container levels summed over every line (a line three quotes deep counts 3). */
  nestedLines: 20_000,
} as const;

export type LimitName = keyof typeof LIMITS;

export interface LimitBreach {
  limit: LimitName;
  /** 1-based, in the body. */
  line: number;
  column: number;
  /** What was too big, in words: "more than 500 `*`, `_` or `~` runs in one paragraph". */
  message: string;
}

const WHAT: Record<LimitName, string> = {
  emphasisRuns: 'emphasis or strikethrough markers (*, _ or ~ runs) in one paragraph',
  brackets: 'link or image brackets ([ or ]) in one paragraph',
  tableRows: 'table rows',
  listItems: 'list items',
  nestedLines: 'lines inside quotes or lists, counted once per level',
};

export const HINT: Record<LimitName, string> = {
  emphasisRuns: 'split the paragraph, or escape literal markers as \\*, \\_ and \\~',
  brackets: 'split the paragraph, close each link, or escape literal brackets as \\[ and \\]',
  tableRows: 'split the table into several articles, or link to the data instead',
  listItems: 'split the list into several articles, or link to the data instead',
  nestedLines: 'flatten the quotes and lists; no feed reader shows that depth',
};

const SPACE = 32;
const TAB = 9;
const GT = 62;
const BACKSLASH = 92;
const BACKTICK = 96;
const TILDE = 126;
const PIPE = 124;
/** A line of only `-`, `:`, `|` and blanks with a `-`: a table's delimiter row (after a line of text). */
const DELIMITER_ROW = /^[ \t]*\|?[ \t]*:?-[-: \t|]*$/;

/** The first place `body` passes one of LIMITS, or undefined (nearly every article, in one linear pass). */
export function findLimitBreach(body: string): LimitBreach | undefined {
  if (!mayPassLimits(body)) return undefined;
  const state = { emphasis: 0, brackets: 0, rows: 0, items: 0, nested: 0, inTable: false, fence: 0, prevText: false };
  let line = 0;
  for (let start = 0; start <= body.length; ) {
    let end = body.indexOf('\n', start);
    if (end === -1) end = body.length;
    line++;
    const breach = scanLine(body, start, end, line, state);
    if (breach) return breach;
    start = end + 1;
  }
  return undefined;
}

/**
 * False where no limit can be passed, from a few counts that are much cheaper than the scan: a limit
 * on runs or brackets needs that many of their characters, and one on rows, items or levels needs
 * that many lines (at most MAX_NESTING levels a line, or nesting.ts refuses it). Nearly every article.
 */
function mayPassLimits(body: string): boolean {
  const lines = LIMITS.nestedLines / 64;
  return count(body, '\n', lines) >= lines || count(body, '[', LIMITS.brackets) + count(body, ']', LIMITS.brackets) > LIMITS.brackets || count(body, '*', LIMITS.emphasisRuns) + count(body, '_', LIMITS.emphasisRuns) + count(body, '~', LIMITS.emphasisRuns) > LIMITS.emphasisRuns;
}

/** How often `char` occurs in `text`, counting up to `max` + 1. */
function count(text: string, char: string, max: number): number {
  let n = 0;
  for (let i = text.indexOf(char); i !== -1 && n <= max; i = text.indexOf(char, i + 1)) n++;
  return n;
}

type State = { emphasis: number; brackets: number; rows: number; items: number; nested: number; inTable: boolean; fence: number; prevText: boolean };

const breach = (limit: LimitName, line: number, column: number): LimitBreach => ({ limit, line, column, message: `more than ${LIMITS[limit].toLocaleString('en')} ${WHAT[limit]}` });

function scanLine(body: string, start: number, end: number, line: number, s: State): LimitBreach | undefined {
  // The containers the line opens or continues: `>`, list markers, and indentation.
  let i = start;
  let depth = 0;
  let indent = 0;
  for (;;) {
    const c = body.charCodeAt(i);
    if (c === SPACE || c === TAB) {
      // Indentation before the first marker nests (a list item's continuation, a nested list); the blank after a marker does not.
      if (depth === 0) indent += c === TAB ? 4 : 1;
      i++;
    } else if (c === GT) {
      depth++;
      i++;
    } else if (!s.fence && isListMarker(body, i, end)) {
      depth++;
      if (++s.items > LIMITS.listItems) return breach('listItems', line, i - start + 1);
      i += body.charCodeAt(i) < 48 || body.charCodeAt(i) > 57 ? 1 : markerLength(body, i);
    } else break;
  }
  depth += Math.floor(indent / 4);
  if (i >= end || (body.charCodeAt(i) === 13 && i + 1 >= end)) {
    // A blank line ends a paragraph and a table.
    s.emphasis = s.brackets = 0;
    s.inTable = s.prevText = false;
    return undefined;
  }
  const c = body.charCodeAt(i);
  if ((c === BACKTICK || c === TILDE) && body.charCodeAt(i + 1) === c && body.charCodeAt(i + 2) === c) {
    // A code fence opens or closes: code is not inline Markdown.
    s.fence = s.fence === 0 ? c : s.fence === c ? 0 : s.fence;
    s.emphasis = s.brackets = 0;
    return undefined;
  }
  if (s.fence) return undefined;
  if (depth && (s.nested += depth) > LIMITS.nestedLines) return breach('nestedLines', line, 1);
  const text = body.slice(i, end);
  if (!s.inTable && s.prevText && text.includes('-') && DELIMITER_ROW.test(text) && (text.includes('|') || text.includes(':'))) {
    // The line before was the header row: it counts, this one does not.
    s.inTable = true;
    s.rows++;
    return undefined;
  }
  if (s.inTable) {
    if (++s.rows > LIMITS.tableRows) return breach('tableRows', line, i - start + 1);
    // Each row is its own inline content.
    s.emphasis = s.brackets = 0;
  }
  s.prevText = true;
  return scanInline(body, i, end, line, start, s);
}

function scanInline(body: string, from: number, end: number, line: number, start: number, s: State): LimitBreach | undefined {
  let prev = 0;
  for (let i = from; i < end; i++) {
    const c = body.charCodeAt(i);
    if (c === BACKSLASH) {
      i++; // an escaped character is text
      prev = 0;
      continue;
    }
    if (c === 42 || c === 95 || c === TILDE) {
      if (c !== prev && ++s.emphasis > LIMITS.emphasisRuns) return breach('emphasisRuns', line, i - start + 1);
    } else if (c === 91 || c === 93) {
      if (++s.brackets > LIMITS.brackets) return breach('brackets', line, i - start + 1);
    } else if (c === PIPE && s.inTable) s.emphasis = s.brackets = 0;
    prev = c;
  }
  return undefined;
}

/** `-`, `+` or `*`, or 1–9 digits and `.` or `)`, followed by a blank or the end of the line. */
function isListMarker(body: string, i: number, end: number): boolean {
  const c = body.charCodeAt(i);
  if (c === 45 || c === 43 || c === 42) return i + 1 >= end || isBlank(body.charCodeAt(i + 1));
  const n = markerLength(body, i);
  return n > 0 && (i + n >= end || isBlank(body.charCodeAt(i + n)));
}

/** The length of an ordered list marker (`12.`, `3)`) at `i`, or 0. */
function markerLength(body: string, i: number): number {
  let j = i;
  while (j - i < 9 && body.charCodeAt(j) >= 48 && body.charCodeAt(j) <= 57) j++;
  if (j === i) return 0;
  const c = body.charCodeAt(j);
  return c === 46 || c === 41 ? j - i + 1 : 0;
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === 13;
}
