/**
 * A fast path for the YAML that frontmatter nearly always is: a map of `key: value` lines whose
 * values are plain, quoted or one-line flow scalars, lists and maps; block lists of such values
 * (`tags:` then `  - x`, or `- x` at the key's own indentation); nested block maps (`author:`
 * then `  name: X`), also as list items (`- name: X`); literal or folded block scalars (`|`,
 * `>`, with `-` or `+`); plain and quoted values folded over more-indented lines. It returns
 * exactly what the `yaml` package (YAML 1.2, core schema) would, or undefined for anything else —
 * anchors, tags, comments after values or inside collections, escapes, tabs in indentation,
 * explicit indentation indicators, flow collections over several lines — which then goes through
 * the full parser. The full parser also runs whenever validation fails, since only it knows
 * positions. test/content/yaml-fast.test.ts checks the two agree on thousands of generated
 * documents and their near misses.
 */
const KEY = /^([A-Za-z_][A-Za-z0-9_-]*):(?: (.*))?$/;
// Characters a plain scalar may not start with (YAML 1.2, 7.3.3: `-`, `?` and `:` only when a
// space or the end follows), plus a few we leave to the full parser; then what may not appear
// inside one here (`: `, ` #`, a tab). One pass over the value.
const NOT_PLAIN = /^(?:[,[\]{}#&*!|>'"%@`\s]|[-?:](?:\s|$))|:(?:\s|$)| #|\t/;
/** A block scalar's header, without an explicit indentation indicator or a comment. */
const BLOCK_HEADER = /^([|>])([-+]?)$/;
/** The keys KEY matches that the core schema does not read as strings. */
const NOT_TEXT_KEY = /^(?:null|Null|NULL|true|True|TRUE|false|False|FALSE)$/;
/** Deeper than this is left to the full parser (each level indents at least one more space). */
const MAX_INDENT = 64;

type Scalar = string | number | boolean | null;
type Value = Scalar | Value[] | { [key: string]: Value };

/** The document's lines, the next one to read, and whether the last one ends with a line break. */
interface Cursor {
  lines: string[];
  at: number;
  endsWithBreak: boolean;
}

export function parseYamlFast(text: string): Record<string, Value> | undefined {
  const lines = text.split('\n');
  const endsWithBreak = lines[lines.length - 1] === '';
  if (endsWithBreak) lines.pop();
  const out = blockMap({ lines, at: 0, endsWithBreak }, 0);
  // An empty document is null to YAML; the full parser can say so.
  return out && Object.keys(out).length ? out : undefined;
}

function leadingSpaces(line: string): number {
  let n = 0;
  while (line.charCodeAt(n) === 32) n++;
  return n;
}

/**
 * Only spaces and tabs make a blank line: YAML reads a no-break space or a form feed as text. A
 * tab in one is left to the full parser except between top-level keys: after `key:` or inside a
 * collection, the parser may take it for indentation, which is an error.
 */
function isBlank(line: string, spaces: number, topLevel: boolean): boolean {
  return spaces === line.length || (topLevel && line.charCodeAt(spaces) === 9 && /^[ \t]*$/.test(line));
}

/** `- x` or a lone `-`, the dash at `spaces`. */
function isItem(line: string, spaces: number): boolean {
  return line.charCodeAt(spaces) === 45 && (line.length === spaces + 1 || line.charCodeAt(spaces + 1) === 32);
}

function trimSpaces(raw: string | undefined): string {
  if (raw === undefined) return '';
  return raw.endsWith(' ') ? raw.replace(/[ ]+$/, '') : raw;
}

/**
 * A key the full parser would give back as the same string, not yet in `map`. `null: x` and
 * `True: x` are keys null and true to YAML, which toJS writes as "" and "true".
 */
function isNewKey(map: object, key: string): boolean {
  if (key.length <= 5 && NOT_TEXT_KEY.test(key)) return false;
  return key !== '__proto__' && !Object.prototype.hasOwnProperty.call(map, key);
}

/** The `key: value` lines at exactly `indent` spaces from cur.at on; ends at a line indented less. */
function blockMap(cur: Cursor, indent: number): Record<string, Value> | undefined {
  if (indent > MAX_INDENT) return undefined;
  const out: Record<string, Value> = {};
  const { lines } = cur;
  while (cur.at < lines.length) {
    const line = lines[cur.at]!;
    const spaces = leadingSpaces(line);
    // Comment lines are skipped at the top level only; inside a collection they end it or fall back.
    if (isBlank(line, spaces, indent === 0) || (indent === 0 && line[0] === '#')) {
      cur.at++;
      continue;
    }
    if (spaces < indent) break;
    if (spaces > indent) return undefined;
    const m = KEY.exec(spaces ? line.slice(spaces) : line);
    if (!m || !isNewKey(out, m[1]!)) return undefined;
    cur.at++;
    const value = mapValue(cur, trimSpaces(m[2]), indent);
    if (value === undefined) return undefined;
    out[m[1]!] = value;
  }
  return out;
}

/** The value of a key at `indent` whose line had `raw` after the `: `, reading on from cur.at. */
function mapValue(cur: Cursor, raw: string, indent: number): Value | undefined {
  if (raw !== '') return lineValue(cur, raw, indent);
  // Nothing after the colon: a block list or map on the next lines, or null.
  const { lines } = cur;
  let next = cur.at;
  let spaces = 0;
  for (; next < lines.length; next++) {
    spaces = leadingSpaces(lines[next]!);
    if (!isBlank(lines[next]!, spaces, false)) break;
  }
  if (next === lines.length) return null;
  const line = lines[next]!;
  if (line[spaces] === '#' || line[spaces] === '\t') return undefined;
  // A list may stand at its key's own indentation (YAML 1.2, 8.2.3: seq-spaces in block-out context).
  if (spaces >= indent && isItem(line, spaces)) {
    cur.at = next;
    return blockSeq(cur, spaces);
  }
  if (spaces <= indent) return null;
  cur.at = next;
  return blockMap(cur, spaces);
}

/** The `- item` lines at exactly `indent` spaces from cur.at on. */
function blockSeq(cur: Cursor, indent: number): Value[] | undefined {
  if (indent > MAX_INDENT) return undefined;
  const out: Value[] = [];
  const { lines } = cur;
  while (cur.at < lines.length) {
    const line = lines[cur.at]!;
    const spaces = leadingSpaces(line);
    if (isBlank(line, spaces, false)) {
      cur.at++;
      continue;
    }
    if (spaces > indent) return undefined;
    // A line indented less, or the next key of a map at this indentation, ends the list.
    if (spaces < indent || !isItem(line, spaces)) break;
    const item = seqItem(cur, indent);
    if (item === undefined) return undefined;
    out.push(item);
  }
  return out;
}

/** One `- item` at cur.at: a one-line value, or a map whose first key is on the dash's line. */
function seqItem(cur: Cursor, indent: number): Value | undefined {
  const line = cur.lines[cur.at]!;
  let start = indent + 1;
  while (line.charCodeAt(start) === 32) start++;
  const rest = trimSpaces(line.slice(start));
  // An empty item, a list in a list, a comment: the full parser's.
  if (rest === '' || rest[0] === '#' || isItem(rest, 0)) return undefined;
  if (KEY.test(rest)) {
    // `- name: X` then `  email: Y`: a map indented to where its first key starts.
    cur.lines[cur.at] = ' '.repeat(start) + rest;
    return blockMap(cur, start);
  }
  cur.at++;
  return lineValue(cur, rest, indent);
}

/**
 * A value that starts with `raw` on the line before cur.at, in a map or list at `indent` spaces:
 * a block scalar, a plain or quoted scalar folded over more-indented lines, or a one-line value.
 */
function lineValue(cur: Cursor, raw: string, indent: number): Value | undefined {
  if (raw[0] === '|' || raw[0] === '>') {
    const header = BLOCK_HEADER.exec(raw);
    return header ? blockScalar(cur, header[1] === '>', header[2]!, indent) : undefined;
  }
  // Most values stand alone: the next line starts at the left margin with text.
  const next = cur.lines[cur.at];
  if (raw[0] === '[' || raw[0] === '{' || next === undefined || (next !== '' && next.charCodeAt(0) !== 32)) return blockValue(raw);
  const isQuoted = raw[0] === '"' || raw[0] === "'";
  const folded = continuedLines(cur, raw, indent, isQuoted);
  if (folded === undefined) return undefined;
  if (folded === null) return blockValue(raw);
  return isQuoted ? quoted(folded, 0, folded.length) : plain(folded, false);
}

/**
 * `first` and the lines after it indented more than `indent`, folded (YAML 1.2, 6.5, 7.3): each
 * line's text trimmed, joined by a space, or by one line break per blank line between them. Null
 * when no such line follows. Falls back on tabs, and in a plain scalar on a line that could not
 * start one (`# x`, `- x`, `key: v`).
 */
function continuedLines(cur: Cursor, first: string, indent: number, isQuoted: boolean): string | null | undefined {
  const { lines } = cur;
  const start = cur.at;
  let out = first;
  let blanks = 0;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!;
    const spaces = leadingSpaces(line);
    if (spaces === line.length) {
      blanks++;
      continue;
    }
    if (spaces <= indent) break;
    const text = trimSpaces(line.slice(spaces));
    // In a plain scalar a line starting with `#` is a comment; other indicators are left to the full parser.
    if (line.includes('\t') || (!isQuoted && NOT_PLAIN.test(text))) return undefined;
    out += (blanks ? '\n'.repeat(blanks) : ' ') + text;
    blanks = 0;
    cur.at = i + 1;
  }
  if (cur.at === start) return null;
  // Blanks before a line break are folded away, and a tab is one of them.
  return first.includes('\t') ? undefined : out;
}

/**
 * A block scalar after a key at `parent` spaces, its header already read: its lines are those
 * from cur.at on that are blank or indented as much as the first non-blank one, which must be
 * indented more than the key (YAML 1.2, 8.1.1). A line of spaces only is blank up to that
 * indentation and content past it. Falls back on tabs, on leading blank lines longer than the
 * indentation (an error to YAML) and at an end without a line break.
 */
function blockScalar(cur: Cursor, folded: boolean, chomp: string, parent: number): string | undefined {
  const { lines } = cur;
  const body: string[] = [];
  let indent = -1;
  let leadingBlank = 0;
  let i = cur.at;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.includes('\t')) return undefined;
    const spaces = leadingSpaces(line);
    if (spaces === line.length) {
      if (indent === -1 && spaces > leadingBlank) leadingBlank = spaces;
      body.push(indent !== -1 && spaces > indent ? line.slice(indent) : '');
      continue;
    }
    if (indent === -1) {
      if (spaces <= parent) break;
      indent = spaces;
    }
    if (spaces < indent) break;
    body.push(indent ? line.slice(indent) : line);
  }
  if ((i === lines.length && !cur.endsWithBreak) || (indent !== -1 && leadingBlank > indent)) return undefined;
  cur.at = i;
  // Only blank lines: nothing, or with keep their line breaks.
  if (indent === -1) return chomp === '+' ? '\n'.repeat(body.length) : '';
  let last = body.length - 1;
  while (body[last] === '') last--;
  const content = body.slice(0, last + 1);
  const text = folded ? fold(content) : content.join('\n');
  // Clip keeps the last line break, strip none, keep every trailing one (8.1.1.2).
  if (chomp === '-') return text;
  return chomp === '+' ? text + '\n'.repeat(body.length - last) : text + '\n';
}

/**
 * Line folding of a folded scalar's lines, indentation removed, first and last not blank
 * (YAML 1.2, 6.5 and 8.1.3): a single break between two lines of text becomes a space; a break
 * followed by blank lines becomes those lines' breaks; breaks next to a more-indented line stay.
 */
function fold(lines: string[]): string {
  let out = '';
  let blanks = 0;
  let previousIsText = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') {
      blanks++;
      continue;
    }
    const isText = line[0] !== ' ';
    if (i === blanks) out += '\n'.repeat(blanks);
    else if (previousIsText && isText) out += blanks ? '\n'.repeat(blanks) : ' ';
    else out += '\n'.repeat(blanks + 1);
    out += line;
    blanks = 0;
    previousIsText = isText;
  }
  return out;
}

function blockValue(raw: string): Scalar | Scalar[] | Record<string, Scalar> | undefined {
  if (raw[0] === '"' || raw[0] === "'") return quoted(raw, 0, raw.length);
  if (raw[0] === '[') return raw.endsWith(']') ? flowSeq(raw.slice(1, -1)) : undefined;
  if (raw[0] === '{') return raw.endsWith('}') ? flowMap(raw.slice(1, -1)) : undefined;
  return plain(raw, false);
}

/** A quoted scalar spanning exactly raw[start, end). No escapes: those go to the full parser. */
function quoted(raw: string, start: number, end: number): string | undefined {
  const q = raw[start];
  if (end - start < 2 || raw[end - 1] !== q) return undefined;
  const inner = raw.slice(start + 1, end - 1);
  if (q === '"') return inner.includes('"') || inner.includes('\\') ? undefined : inner;
  if (inner.replace(/''/g, '').includes("'")) return undefined;
  return inner.replace(/''/g, "'");
}

function plain(raw: string, flow: boolean): Scalar | undefined {
  if (NOT_PLAIN.test(raw)) return undefined;
  // In a flow collection, also no flow indicators, nor a leading `?` or `:` at all.
  if (flow && /[,[\]{}]|^[?:]/.test(raw)) return undefined;
  return resolveCore(raw);
}

/** The first characters of every plain scalar that is not a string in the core schema. */
const NOT_ALWAYS_TEXT = /^[-+.0-9~nNtTfF]/;

/** YAML 1.2 core schema tag resolution for plain scalars. */
function resolveCore(s: string): Scalar {
  // Most values (titles, names, sections) are text whatever follows their first character.
  if (!NOT_ALWAYS_TEXT.test(s)) return s;
  if (/^(?:~|null|Null|NULL)$/.test(s)) return null;
  if (/^(?:true|True|TRUE)$/.test(s)) return true;
  if (/^(?:false|False|FALSE)$/.test(s)) return false;
  if (/^[-+]?[0-9]+$/.test(s)) return Number(s);
  if (/^0o[0-7]+$/.test(s)) return parseInt(s.slice(2), 8);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(s)) return parseFloat(s);
  if (/^[-+]?\.(?:inf|Inf|INF)$/.test(s)) return s[0] === '-' ? -Infinity : Infinity;
  if (/^\.(?:nan|NaN|NAN)$/.test(s)) return NaN;
  return s;
}

/** Splits flow content on top-level commas, keeping quoted commas; undefined on nesting. */
function flowItems(inner: string): string[] | undefined {
  const items: string[] = [];
  let start = 0;
  let quote: string | undefined;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === ']' || c === '{' || c === '}') return undefined;
    else if (c === ',') {
      items.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  if (quote) return undefined;
  items.push(inner.slice(start));
  const trimmed = items.map((s) => s.trim());
  if (trimmed.length === 1 && trimmed[0] === '') return [];
  // An empty item (a,,b or a trailing comma) is left to the full parser.
  return trimmed.some((s) => s === '') ? undefined : trimmed;
}

function flowScalar(item: string): Scalar | undefined {
  if (item[0] === '"' || item[0] === "'") return quoted(item, 0, item.length);
  return plain(item, true);
}

function flowSeq(inner: string): Scalar[] | undefined {
  const items = flowItems(inner);
  if (!items) return undefined;
  const out: Scalar[] = [];
  for (const item of items) {
    const v = flowScalar(item);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

function flowMap(inner: string): Record<string, Scalar> | undefined {
  const items = flowItems(inner);
  if (!items) return undefined;
  const out: Record<string, Scalar> = {};
  for (const item of items) {
    const m = /^([A-Za-z_][A-Za-z0-9_-]*): (.+)$/.exec(item);
    if (!m || !isNewKey(out, m[1]!)) return undefined;
    const v = flowScalar(m[2]!.trim());
    if (v === undefined) return undefined;
    out[m[1]!] = v;
  }
  return out;
}
