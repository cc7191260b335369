/**
 * Splits a Markdown file into frontmatter and body with gray-matter, made safe.
 *
 * gray-matter picks a parser from the text after the opening `---`, and its defaults include
 * `javascript` (eval) and `coffee`: `---js` would run the block. Frontmatter is untrusted, so:
 * - the first line is checked before gray-matter sees the file: `---`, `---yaml` or `---yml`
 *   only; any other marker, and TOML's `+++`, is refused at 1:1 and never parsed;
 * - gray-matter gets one YAML engine, ours (the fast path, else the `yaml` package with
 *   positions, the alias cap, YAML 1.2 and no tags), and its other engines are replaced by
 *   ones that refuse, in case a marker ever slipped through;
 * - it is always called with options, which is what keeps it from caching: without options
 *   it keeps every string it parsed in `matter.cache` for the life of the process.
 */
import matter from 'gray-matter';
import { diagnostic, type Diagnostic, type DiagnosticCode } from '../diagnostics/diagnostics.js';
import { parseYaml, type ParsedYaml } from '../util/yaml.js';
import { parseYamlFast } from './yaml-fast.js';
import { decodeHeadAndBody } from './body.js';

/** One Markdown file, read and split, not yet validated. */
export interface SourceFile {
  /** Absolute path on disk. */
  absPath: string;
  /** Path relative to the content folder, with forward slashes: `2024/alliance.md`. */
  relPath: string;
  /** Path shown in diagnostics. */
  displayPath: string;
  /** The frontmatter block, as YAML text. */
  frontmatter: string;
  /** 1-based line number of the first frontmatter line. */
  frontmatterLine: number;
  /** The Markdown body; a built Article does not keep it (the renderer re-reads the file). */
  body: string | undefined;
  /** 1-based line number of the first body line. */
  bodyLine: number;
  /** The frontmatter as gray-matter's YAML engine parsed it; validation consumes it. */
  parsed?: ParsedFrontmatter;
}

/** What the YAML engine made of a frontmatter block. */
export interface ParsedFrontmatter {
  /** The parsed value; undefined for an empty block or when `yaml` has errors. */
  value: unknown;
  /** The full parse (positions, diagnostics), when the fast path could not read the block. */
  yaml?: ParsedYaml;
}

/** The fast path for the usual `key: value` lines, else the full parser; the same value either way. */
export function parseFrontmatter(text: string, file: string, lineOffset: number): ParsedFrontmatter {
  const fast = parseYamlFast(text);
  if (fast !== undefined) return { value: fast };
  const yaml = parseYaml(text, file, lineOffset);
  return { value: yaml.value, yaml };
}

const refuse = (language: string) => ({
  parse(): never {
    throw new Error(`frontmatter language "${language}" is not allowed`);
  },
});
// Every engine gray-matter registers by default (lib/engines.js) and the aliases it maps to them (lib/engine.js).
const REFUSED_ENGINES = { javascript: refuse('javascript'), coffee: refuse('coffee'), json: refuse('json'), toml: refuse('toml') };

type Fail = { diagnostics: Diagnostic[] };

/** The split under way: gray-matter calls the engine synchronously, inside splitSource. */
interface MatterCall {
  frontmatterOf: (blockLength: number) => string;
  displayPath: string;
  source: { frontmatter: string; parsed: ParsedFrontmatter } | undefined;
}
let current: MatterCall | undefined;

/**
 * One options object for every call (gray-matter copies it; building a new one per file cost a
 * few µs of a ~35 µs parse). `excerpt` as a function: gray-matter then leaves the body alone
 * instead of searching it.
 */
const MATTER_OPTIONS = {
  language: 'yaml',
  engines: {
    ...REFUSED_ENGINES,
    yaml: {
      parse(block: string): ParsedFrontmatter {
        const call = current!;
        const frontmatter = call.frontmatterOf(block.length);
        call.source = { frontmatter, parsed: parseFrontmatter(frontmatter, call.displayPath, 1) };
        return call.source.parsed;
      },
    },
  },
  excerpt: () => '',
};

export function splitSource(buffer: Buffer, absPath: string, displayPath: string, relPath: string): { source?: SourceFile; diagnostics: Diagnostic[] } {
  const fail = (code: DiagnosticCode, message: string, hint: string, line = 1): Fail => ({
    diagnostics: [diagnostic({ code, file: displayPath, line, column: 1, message, hint })],
  });
  if (buffer.includes(0)) return fail('binary-file', 'file contains NUL bytes: this is not a text file', 'remove the file from the content folder, or rename it so it does not end in .md');
  const decoded = decodeHeadAndBody(buffer);
  if (!decoded) return fail('invalid-utf8', 'file is not valid UTF-8', 'save the file as UTF-8');
  const { head, body } = decoded;
  const newline = head.indexOf('\n');
  const firstLine = newline === -1 ? head : head.slice(0, newline);
  const refused = checkOpeningLine(firstLine, fail);
  if (refused) return refused;
  // gray-matter's own rule for the end of the block; without one it would take the whole file as YAML.
  if (newline === -1 || head.indexOf('\n---', newline) === -1) return unclosed(fail);

  // gray-matter's block starts after `---` (after the marker, when there is one) and ends before the closing line's newline.
  const blockStart = firstLine.trim() === '---' ? 3 : firstLine.length;
  const frontmatterOf = (blockLength: number) => head.slice(newline + 1, blockStart + blockLength + 1);
  const call: MatterCall = { frontmatterOf, displayPath, source: undefined };
  current = call;
  let file: { matter: string };
  try {
    file = matter(head, MATTER_OPTIONS);
  } finally {
    current = undefined;
  }
  let source = call.source;
  // The block ended at the first line starting with ---; it must be exactly --- (trailing blanks allowed).
  const closeLine = blockStart + file.matter.length + 1;
  const closeEnd = head.indexOf('\n', closeLine);
  if (!/^---[ \t]*$/.test(head.slice(closeLine, closeEnd === -1 ? head.length : closeEnd))) {
    const line = lineAt(head, closeLine);
    if (!/^---[ \t]*$/m.test(head.slice(closeLine) + body)) return unclosed(fail);
    return fail('yaml-syntax', `line ${line} starts with "---" inside the frontmatter block`, 'the block ends at a line containing only ---; indent or quote a value that starts with ---', line);
  }
  // gray-matter skips the engine for a block of blanks and comments; validation then reports what is missing.
  source ??= { frontmatter: frontmatterOf(file.matter.length), parsed: { value: undefined } };
  return {
    source: { absPath, relPath, displayPath, frontmatter: source.frontmatter, frontmatterLine: 2, body, bodyLine: lineAt(head, head.length), parsed: source.parsed },
    diagnostics: [],
  };
}

function checkOpeningLine(firstLine: string, fail: (code: DiagnosticCode, message: string, hint: string) => Fail): Fail | undefined {
  if (/^---[ \t]*(ya?ml[ \t]*)?$/i.test(firstLine)) return undefined;
  if (/^\+\+\+[ \t]*$/.test(firstLine)) {
    return fail('frontmatter-language', 'TOML frontmatter (+++) is not supported: feedpipe reads YAML frontmatter only', 'write the block in YAML between two lines containing only --- (key: value, not key = value)');
  }
  const lang = /^---[ \t]*(\S+)/.exec(firstLine)?.[1];
  if (lang) {
    return fail('frontmatter-language', `frontmatter language "${lang}" is not allowed: feedpipe reads YAML frontmatter only, and never runs code from content`, 'start the file with a line containing only ---');
  }
  return fail('missing-frontmatter', 'file does not start with a frontmatter block', 'start the file with ---, then title: and date:, then ---');
}

function unclosed(fail: (code: DiagnosticCode, message: string, hint: string) => Fail): Fail {
  return fail('unclosed-frontmatter', 'the frontmatter block is never closed', 'add a line containing only --- after the last frontmatter field');
}

/** 1-based line number of the character at `offset`. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
