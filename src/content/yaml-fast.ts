/**
 * A fast path for the YAML that frontmatter nearly always is: one
 * `key: value` per line, values plain, quoted or one-line flow lists and
 * maps of such scalars. It returns exactly what the `yaml` package (YAML 1.2,
 * core schema) would, or undefined for anything else — block collections,
 * multi-line values, anchors, tags, comments after values, escapes — which
 * then goes through the full parser. The full parser also runs whenever
 * validation fails, since only it knows positions. test/yaml-fast.test.ts
 * checks the two agree on thousands of generated documents.
 */
const KEY = /^([A-Za-z_][A-Za-z0-9_-]*):(?: (.*))?$/;
// Characters a plain scalar may not start with (YAML 1.2, 7.3.3), plus a few we leave to the full
// parser; then what may not appear inside one here (`: `, ` #`, a tab). One pass over the value.
const NOT_PLAIN = /^[-?:,[\]{}#&*!|>'"%@`\s]|:(?:\s|$)| #|\t/;

type Scalar = string | number | boolean | null;
type Value = Scalar | Scalar[] | Record<string, Scalar>;

export function parseYamlFast(text: string): Record<string, Value> | undefined {
  const out: Record<string, Value> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line[0] === '#') continue;
    const m = KEY.exec(line);
    if (!m) {
      // Only spaces and tabs make a blank line: YAML reads a no-break space or a form feed as text.
      if (/^[ \t]+$/.test(line)) continue;
      return undefined;
    }
    const key = m[1]!;
    if (!isNewKey(out, key)) return undefined;
    const raw = m[2] === undefined ? '' : m[2].endsWith(' ') ? m[2].replace(/[ ]+$/, '') : m[2];
    const value = raw === '' ? null : blockValue(raw);
    if (value === undefined) return undefined;
    out[key] = value;
  }
  // An empty document is null to YAML; the full parser can say so.
  return Object.keys(out).length ? out : undefined;
}

/**
 * A key the full parser would give back as the same string, not yet in `map`. `null: x` and
 * `True: x` are keys null and true to YAML, which toJS writes as "" and "true".
 */
function isNewKey(map: object, key: string): boolean {
  return key !== '__proto__' && resolveCore(key) === key && !Object.prototype.hasOwnProperty.call(map, key);
}

function blockValue(raw: string): Value | undefined {
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
  if (flow && /[,[\]{}]/.test(raw)) return undefined;
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
