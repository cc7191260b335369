import { readFileSync } from 'node:fs';
import { parseYaml, type Position } from '../util/yaml.js';
import type { Article } from './schema.js';
import { splitSource } from './split.js';

/**
 * Where a frontmatter field of a built article is written, for a diagnostic found after
 * validation (build/select.ts). An article kept or restored from the cache no longer holds its
 * frontmatter, so the file is read again: this is for errors only, never for every article. If
 * the file cannot be read or no longer has the field, the start of its frontmatter.
 */
export function locateField(a: Article, path: readonly PropertyKey[]): Position {
  const fallback = { line: a.source.frontmatterLine, column: 1 };
  try {
    let { frontmatter, frontmatterLine } = a.source;
    if (!frontmatter) {
      const { source } = splitSource(readFileSync(a.source.absPath), a.source.absPath, a.source.displayPath, a.source.relPath);
      if (!source) return fallback;
      ({ frontmatter, frontmatterLine } = source);
    }
    return parseYaml(frontmatter, a.source.displayPath, frontmatterLine - 1).locate(path);
  } catch {
    return fallback;
  }
}
