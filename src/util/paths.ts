import path from 'node:path';

/**
 * The one rule of what is content: a Markdown file under the content folder,
 * none of whose path segments starts with `.` or `_` or is `node_modules`
 * (drafts folders, editor swap files, partials, dependencies).
 */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_') || name === 'node_modules';
}

export function isMarkdownName(name: string): boolean {
  return name.endsWith('.md');
}

/** Whether `relPath` (relative to the content folder, with the platform's separator) names a content file. */
export function isContentPath(relPath: string): boolean {
  // On POSIX a backslash is part of a name (the scan lists `a\b.md` as content), not a separator.
  const segments = path.sep === '/' ? relPath.split('/') : relPath.split(/[\\/]/);
  return isMarkdownName(relPath) && !segments.some(isIgnoredName) && !segments.includes('..');
}

export function toDisplayPath(absPath: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, absPath);
  return (rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : absPath).split(path.sep).join('/');
}

export function isSafeRelative(rel: string): boolean {
  return rel !== '' && !path.isAbsolute(rel) && !rel.split(/[\\/]/).some((p) => p === '..' || p === '');
}
