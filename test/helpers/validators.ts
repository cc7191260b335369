/**
 * Independent validators: feedpipe's output judged by parsers and schemas we
 * did not write. Each `validate*` function takes the file's TEXT and returns a
 * list of problems (empty = valid), so a test can print every problem at once.
 *
 * - validateJsonFeed: ajv (JSON Schema 2020-12) against test/schemas/jsonfeed-1.1.schema.json
 * - validateXmlStrict: fast-xml-parser's XMLValidator and saxes (a strict XML 1.0 parser)
 * - parseWithFeedParser: @rowanmanning/feed-parser, the parsed feed
 * - validateAtomRelaxNg: libxml2's xmllint (the npm package xmllint-wasm: libxml2 2.13 as
 *   WebAssembly, so no system tool) against test/schemas/atom.rng (RFC 4287 Appendix B),
 *   plus what that schema leaves out (atomRulesBeyondRelaxNg: its Schematron rules, RFC 3339 dates)
 * - pythonFeedparser: Debian's python3-feedparser (the Universal Feed Parser), which npm has
 *   no equivalent of
 *
 * python3-feedparser is a Debian package that .ci/run installs. In CI (CI set) its absence
 * is an error (never a skip): a broken setup. On a machine with only Node, the checks that
 * need it skip, and pythonFeedparserMissing() says how to install it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFeed } from '@rowanmanning/feed-parser';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { XMLValidator } from 'fast-xml-parser';
import { SaxesParser } from 'saxes';
import { validateXML } from 'xmllint-wasm';

const SCHEMAS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'schemas');
export const JSONFEED_SCHEMA_PATH = path.join(SCHEMAS, 'jsonfeed-1.1.schema.json');
export const ATOM_RNG_PATH = path.join(SCHEMAS, 'atom.rng');

// ---------------------------------------------------------------- JSON Feed

// ajv-formats is CommonJS with `module.exports = formatsPlugin` plus a `default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

let jsonFeedValidator: ValidateFunction | undefined;

/** The compiled JSON Feed 1.1 schema (strict mode: a mistake in the schema itself throws). */
export function jsonFeedSchemaValidator(): ValidateFunction {
  if (!jsonFeedValidator) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
    addFormats(ajv);
    jsonFeedValidator = ajv.compile(JSON.parse(readFileSync(JSONFEED_SCHEMA_PATH, 'utf8')) as object);
  }
  return jsonFeedValidator;
}

export function formatAjvErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}${e.params && Object.keys(e.params).length ? ' ' + JSON.stringify(e.params) : ''}`);
}

/** JSON Feed 1.1: parses as JSON, then validates against the schema. */
export function validateJsonFeed(text: string): string[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return [`not JSON: ${(e as Error).message}`];
  }
  const validate = jsonFeedSchemaValidator();
  return validate(data) ? [] : formatAjvErrors(validate.errors);
}

// ---------------------------------------------------------------- XML well-formedness

/** Well-formed XML 1.0 per two unrelated parsers: fast-xml-parser's validator and saxes. */
export function validateXmlStrict(text: string): string[] {
  const problems: string[] = [];
  const fxp = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (fxp !== true) problems.push(`fast-xml-parser: ${fxp.err.code} ${fxp.err.msg} at ${fxp.err.line}:${fxp.err.col}`);
  // saxes reports well-formedness errors (disallowed characters, unbound
  // prefixes, mismatched tags, undefined entities, no or several roots...)
  // through 'error' and carries on, so every one is listed.
  const parser = new SaxesParser({ xmlns: true, position: true });
  parser.on('error', (e) => problems.push(`saxes: ${e.message}`));
  try {
    parser.write(text).close();
  } catch (e) {
    problems.push(`saxes: ${(e as Error).message}`);
  }
  return problems;
}

// ---------------------------------------------------------------- @rowanmanning/feed-parser

export type ParsedFeed = ReturnType<typeof parseFeed>;

/** RSS or Atom through @rowanmanning/feed-parser (lenient; throws only when no feed can be found). */
export function parseWithFeedParser(text: string): ParsedFeed {
  return parseFeed(text);
}

// ---------------------------------------------------------------- external tools

function missingTool(tool: string, install: string): Error {
  if (process.env.CI) {
    return new Error(`${tool} is missing in CI: .ci/run must install it (${install}). The conformance tests never skip in CI.`);
  }
  return new Error(`${tool} is not installed: the conformance tests need it. Install it with: sudo apt-get install ${install}`);
}

/**
 * Atom 1.0 against RFC 4287 Appendix B's RELAX NG schema (trang-converted),
 * via xmllint, plus the rules that schema cannot or does not enforce (see
 * atomRulesBeyondRelaxNg).
 */
export async function validateAtomRelaxNg(text: string, schema = ATOM_RNG_PATH): Promise<string[]> {
  const [problems] = await validateAtomFilesRelaxNg([['atom.xml', text]], schema);
  return problems!;
}

/** Several Atom files in one xmllint run (each run starts a worker and compiles the WebAssembly): problems per file, in order. */
export async function validateAtomFilesRelaxNg(files: readonly [string, string][], schema = ATOM_RNG_PATH): Promise<string[][]> {
  const lint = await xmllintRelaxNg(files, schema);
  return files.map(([, text], i) => [...lint[i]!, ...atomRulesBeyondRelaxNg(text)]);
}

const ATOM_NS = 'http://www.w3.org/2005/Atom';

/** RFC 3339 date-time as RFC 4287 section 3.3 requires it: uppercase T and Z, a seconds field, an offset. */
const RFC3339 = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/**
 * What RFC 4287 requires beyond what xmllint checks with atom.rng:
 * - the two s:rule annotations of Appendix B (Schematron, which RELAX NG
 *   validators ignore), from sections 4.1.1 and 4.1.2: an atom:feed must have
 *   an atom:author unless every atom:entry has one (or one in atom:source);
 *   an atom:entry must have an atom:link with rel="alternate" (or no rel) or an atom:content;
 * - section 3.3: Date constructs are RFC 3339 date-times with "T", "Z" in
 *   uppercase and a time zone (the schema's xsd:dateTime lets a date without
 *   a zone through).
 */
export function atomRulesBeyondRelaxNg(text: string): string[] {
  interface Node {
    name: string;
    attrs: Record<string, string>;
    text: string;
    children: Node[];
  }
  const stack: Node[] = [];
  let root: Node | undefined;
  const parser = new SaxesParser({ xmlns: true });
  parser.on('error', () => undefined); // well-formedness is validateXmlStrict's job
  parser.on('opentag', (tag) => {
    const node: Node = { name: tag.uri === ATOM_NS ? `atom:${tag.local}` : `{${tag.uri}}${tag.local}`, attrs: {}, text: '', children: [] };
    for (const a of Object.values(tag.attributes)) if (!a.uri) node.attrs[a.local] = a.value;
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(node);
    else root ??= node;
    stack.push(node);
  });
  parser.on('text', (t) => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  });
  parser.on('cdata', (t) => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  });
  parser.on('closetag', () => void stack.pop());
  try {
    parser.write(text).close();
  } catch {
    // reported by validateXmlStrict
  }
  if (!root) return ['atom: no root element'];
  const kids = (n: Node, name: string) => n.children.filter((c) => c.name === name);
  const problems: string[] = [];
  const feedHasAuthor = root.name === 'atom:feed' && kids(root, 'atom:author').length > 0;
  const entries = root.name === 'atom:feed' ? kids(root, 'atom:entry') : root.name === 'atom:entry' ? [root] : [];
  entries.forEach((entry, i) => {
    const where = `atom:entry #${i + 1}`;
    const hasAuthor = kids(entry, 'atom:author').length > 0 || kids(entry, 'atom:source').some((s) => kids(s, 'atom:author').length > 0);
    if (!hasAuthor && !feedHasAuthor) problems.push(`schematron (RFC 4287 4.1.2): ${where}: an atom:entry must have an atom:author if its feed does not`);
    const alternate = kids(entry, 'atom:link').some((l) => l.attrs.rel === undefined || l.attrs.rel === 'alternate');
    if (!alternate && kids(entry, 'atom:content').length === 0) problems.push(`schematron (RFC 4287 4.1.2): ${where}: an atom:entry must have an atom:link with rel="alternate" or an atom:content`);
  });
  const dates = (n: Node, where: string): void => {
    for (const c of n.children) {
      if ((c.name === 'atom:updated' || c.name === 'atom:published') && !RFC3339.test(c.text.trim())) {
        problems.push(`RFC 4287 3.3: ${where} ${c.name} ${JSON.stringify(c.text)} is not an RFC 3339 date-time`);
      }
      if (c.name === 'atom:entry' || c.name === 'atom:source') dates(c, c.name);
    }
  };
  dates(root, root.name);
  return problems;
}

async function xmllintRelaxNg(files: readonly [string, string][], schema: string): Promise<string[][]> {
  // Names of our own (xmllint reads them as arguments); messages name them as atom.xml.
  const inputs = files.map(([, text], i) => ({ fileName: `file${i}.xml`, contents: text }));
  const result = await validateXML({ xml: inputs, schema: { fileName: path.basename(schema), contents: readFileSync(schema, 'utf8') }, extension: 'relaxng' });
  // xmllint checks the files in turn and closes each with "fileN.xml validates" or "... fails to
  // validate"; some messages name no file, so each line belongs to the next such closing line.
  const out = files.map((): string[] => []);
  let pending: string[] = [];
  for (const raw of result.rawOutput.split('\n')) {
    const line = raw.trim();
    const closing = /^file(\d+)\.xml (validates|fails to validate)$/.exec(line);
    if (closing) {
      const problems = out[Number(closing[1])]!;
      problems.push(...pending);
      if (closing[2] !== 'validates' && !pending.length) problems.push('xmllint: fails to validate');
      pending = [];
    } else if (line) {
      pending.push(line.replace(/\bfile\d+\.xml\b/, 'atom.xml'));
    }
  }
  // Left over: about the schema or the run itself, so about every file.
  if (pending.length) out.forEach((p) => p.push(...pending));
  if (!result.valid && out.every((p) => !p.length)) out.forEach((p) => p.push(`xmllint: not valid: ${result.rawOutput.trim()}`));
  return out;
}

export interface PythonFeedparserEntry {
  title: string | null;
  /** feedparser's title_detail.type: text/plain or text/html. */
  title_type: string | null;
  /** The title as a reader displays it: for text/html, tags removed and entities decoded. */
  title_text: string | null;
  link: string | null;
  id: string | null;
  published: string | null;
  /** published_parsed as an ISO instant (UTC), for comparison. */
  published_iso: string | null;
  updated_iso: string | null;
  summary: string | null;
  content: string | null;
  tags: string[];
  /** The entry's author as shown (feedparser decodes it like a title). */
  author: string | null;
  /** The entry's enclosures as feedparser gives them (href, type, length as text). */
  enclosures: { href: string; type: string; length: string }[];
  /** The entry's language: RSS dc:language, or the xml:lang in scope of an Atom entry's title. */
  language: string | null;
}

export interface PythonFeedparserResult {
  bozo: number;
  bozo_exception: string | null;
  /** rss20, atom10, ... ('' when feedparser could not tell). */
  version: string;
  feed: { title: string | null; title_type: string | null; title_text: string | null; link: string | null };
  entries: PythonFeedparserEntry[];
}

const PY_SCRIPT = String.raw`
import base64, html, json, re, sys, time
import feedparser
def iso(t):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', t) if t else None
def ttype(x, key):
    detail = x.get(key + '_detail')
    return detail.get('type') if detail else None
def as_text(x, key):
    # What a reader shows: feedparser hands out text/html values as HTML
    # (it decides for RSS by looking at the text), so tags go and entities are decoded.
    value = x.get(key)
    if value is None or ttype(x, key) not in ('text/html', 'application/xhtml+xml'):
        return value
    return html.unescape(re.sub(r'<[^>]*>', '', value))
def read(d):
  return {
    'bozo': int(bool(d.get('bozo'))),
    'bozo_exception': repr(d.get('bozo_exception')) if d.get('bozo') else None,
    'version': d.get('version') or '',
    'feed': {'title': d.feed.get('title'), 'title_type': ttype(d.feed, 'title'), 'title_text': as_text(d.feed, 'title'), 'link': d.feed.get('link')},
    'entries': [{
        'title': e.get('title'),
        'title_type': ttype(e, 'title'),
        'title_text': as_text(e, 'title'),
        'link': e.get('link'),
        'id': e.get('id'),
        'published': e.get('published'),
        'published_iso': iso(e.get('published_parsed')),
        'updated_iso': iso(e.get('updated_parsed')),
        'summary': e.get('summary'),
        'content': e['content'][0].get('value') if e.get('content') else None,
        'tags': [t.get('term') for t in e.get('tags', [])],
        'author': as_text(e, 'author'),
        'enclosures': [{'href': x.get('href'), 'type': x.get('type'), 'length': x.get('length')} for x in e.get('enclosures', [])],
        'language': e.get('language') or (e.get('title_detail') or {}).get('language'),
    } for e in d.entries],
  }
# Every document in one process (starting Python and importing feedparser takes longer than a parse).
docs = json.load(sys.stdin)
sys.stdout.write(json.dumps([read(feedparser.parse(base64.b64decode(doc))) for doc in docs]))
`;

let python: string | undefined;

/**
 * Undefined when python3 with feedparser is here; else the one line saying how to get it.
 * In CI its absence throws: .ci/run installs it, and CI never skips a check.
 */
export function pythonFeedparserMissing(): string | undefined {
  try {
    requirePythonFeedparser();
    return undefined;
  } catch (e) {
    if (process.env.CI) throw e;
    return 'Python feedparser checks skipped: python3 with the feedparser module is not installed (Debian: sudo apt-get install python3-feedparser; .ci/run installs it)';
  }
}

/**
 * The first interpreter that can import feedparser: $FEEDPIPE_PYTHON, Debian's
 * /usr/bin/python3 (where python3-feedparser installs), then python3 on PATH
 * (which may be a pyenv or venv interpreter without it).
 */
function requirePythonFeedparser(): string {
  if (python) return python;
  const candidates = [process.env.FEEDPIPE_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  for (const c of candidates) {
    const r = spawnSync(c, ['-c', 'import feedparser'], { encoding: 'utf8' });
    if (!r.error && r.status === 0) return (python = c);
  }
  throw missingTool(`python3 with the feedparser module (tried ${candidates.join(', ')})`, 'python3-feedparser');
}

/** Readings by document: the tests read the same bytes many times. */
const readings = new Map<string, PythonFeedparserResult>();

/** Parses with the Universal Feed Parser (Python); bozo 1 means it found the document ill-formed. */
export function pythonFeedparser(text: string): PythonFeedparserResult {
  return pythonFeedparserAll([text])[0]!;
}

/** Several documents in one Python process (each as its UTF-8 bytes, as a reader fetching the file gets them). */
export function pythonFeedparserAll(texts: readonly string[]): PythonFeedparserResult[] {
  const todo = [...new Set(texts.filter((t) => !readings.has(t)))];
  if (todo.length) {
    const py = requirePythonFeedparser();
    const input = JSON.stringify(todo.map((t) => Buffer.from(t, 'utf8').toString('base64')));
    const r = spawnSync(py, ['-c', PY_SCRIPT], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`feedparser crashed (status ${r.status}): ${r.stderr}`);
    (JSON.parse(r.stdout) as PythonFeedparserResult[]).forEach((reading, i) => readings.set(todo[i]!, reading));
  }
  return texts.map((t) => readings.get(t)!);
}
