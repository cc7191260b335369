import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isContentPath, isIgnoredName } from '../../src/util/paths.js';

describe('the one rule of what is content', () => {
  it('takes Markdown files, but nothing under a name starting with . or _, nor node_modules, nor outside the folder', () => {
    expect(isContentPath(['2026', 'story.md'].join(path.sep))).toBe(true);
    for (const rel of [['_drafts', 'a.md'], ['.git', 'a.md'], ['node_modules', 'x', 'a.md'], ['2026', '.a.md.swp'], ['..', 'a.md'], ['notes.txt']]) {
      expect(isContentPath(rel.join(path.sep)), rel.join('/')).toBe(false);
    }
    expect(['.x', '_x', 'node_modules'].every(isIgnoredName)).toBe(true);
  });

  it.runIf(path.sep === '/')('reads a backslash as part of a name on POSIX, as the folder scan does', () => {
    expect(isContentPath('a\\_b.md')).toBe(true);
  });
});
