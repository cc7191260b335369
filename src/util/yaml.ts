import { LineCounter, parseDocument, isMap, isPair, isScalar, isSeq, type Node, type YAMLWarning } from 'yaml';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostics.js';

export interface Position {
  line: number;
  column: number;
}

export interface ParsedYaml {
  value: unknown;
  diagnostics: Diagnostic[];
  /** Position of the value at `path` (or of its key, when `key` is set); falls back to the nearest ancestor. */
  locate(path: readonly PropertyKey[], key?: boolean): Position;
}

/**
 * Parses YAML 1.2 (core schema: no timestamps, no `!!js` tags, no merge keys)
 * keeping node positions so every diagnostic can point at a line and column.
 * Alias expansion is capped, so a "billion laughs" document fails fast.
 * Warnings are errors: the parser's answer to a tag it does not know
 * (`!!js/function`, `!!python/object`, `!foo`) is a warning and the plain
 * string, so a file written for a parser that runs tags would be published
 * as if it were text. YAML 1.1's extra tags (`!!binary`, `!!timestamp`,
 * `!!set`) are refused the same way: they would make Buffers, Dates and Sets.
 */
export function parseYaml(text: string, file: string, lineOffset = 0): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, schema: 'core', uniqueKeys: true, merge: false, prettyErrors: false, resolveKnownTags: false });
  const at = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line + lineOffset, column: p.col };
  };
  const diagnostics: Diagnostic[] = [];
  for (const e of doc.errors) {
    const p = at(e.pos[0]);
    diagnostics.push(
      diagnostic({
        code: 'yaml-syntax',
        file,
        ...p,
        message: e.message.split('\n')[0]!,
        
      }),
    );
  }
  for (const w of doc.warnings) diagnostics.push(warningDiagnostic(w, file, at(w.pos[0])));
  let value: unknown;
  if (diagnostics.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      diagnostics.push(
        diagnostic({ code: 'yaml-aliases', file, line: 1 + lineOffset, column: 1, message: (e as Error).message }),
      );
    }
  }
  const locate = (path: readonly PropertyKey[], key = false): Position => {
    let node: unknown = doc.contents;
    let best: Position = node && (node as Node).range ? at((node as Node).range![0]) : { line: 1 + lineOffset, column: 1 };
    for (let i = 0; i < path.length; i++) {
      const part = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
        if (!pair) return best;
        const keyNode = pair.key as Node;
        if (keyNode.range) best = at(keyNode.range[0]);
        if (last && key) return best;
        node = pair.value;
        if (node && (node as Node).range) best = at((node as Node).range![0]);
      } else if (isSeq(node) && typeof part === 'number') {
        node = node.items[part];
        if (node && (node as Node).range) best = at((node as Node).range![0]);
        else return best;
      } else {
        return best;
      }
    }
    return best;
  };
  return { value, diagnostics, locate };
}

function warningDiagnostic(w: YAMLWarning, file: string, at: Position): Diagnostic {
  const message = w.message.split('\n')[0]!;
  if (w.code === 'TAG_RESOLVE_FAILED') {
    const tag = /Unresolved tag: (.*)$/.exec(message)?.[1]?.replace(/^tag:yaml\.org,2002:/, '!!') ?? 'this tag';
    return diagnostic({
      code: 'yaml-unknown-tag',
      file,
      ...at,
      message: `the YAML tag ${tag} is not allowed: feedpipe reads plain YAML values and never runs or converts tagged ones`,
      hint: `remove ${tag}; if the ! belongs to the text, put the whole value in quotes`,
    });
  }
  return diagnostic({ code: 'yaml-warning', file, ...at, message });
}
