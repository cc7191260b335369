import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveUrl } from '../../src/content/schema.js';

/** The value, or the error's message: a path the parser refuses must be refused alike. */
function outcome(f: () => string): string {
  try {
    return f();
  } catch (e) {
    return `throws ${(e as Error).message}`;
  }
}

describe('article URLs', () => {
  it('resolve exactly as the URL parser does, for any path and base', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9\-_.~%:@!$&'()*+,;= ?#é]{0,8}$/);
    const rel = fc.array(segment, { maxLength: 5 }).map((parts) => parts.join('/'));
    const base = fc.constantFrom('https://news.example.com/', 'https://News.Example.COM/', 'https://news.example.com/site/', 'https://news.example.com', 'https://news.example.com:443/a%20b/', 'http://[::1]:8080/x/');
    fc.assert(fc.property(rel, base, fc.boolean(), (r, b, trailing) => {
      const path = trailing && r ? r + '/' : r;
      expect(outcome(() => resolveUrl(path, b))).toBe(outcome(() => new URL(path, b).toString()));
    }), { numRuns: 5000 });
    for (const [r, b] of [['2026/03/a.b/', 'https://e.com/'], ['2026/./x/', 'https://e.com/'], ['../x/', 'https://e.com/a/'], ['a/../b', 'https://e.com/'], ['.', 'https://e.com/'], ['..', 'https://e.com/a/'], ['', 'https://e.com/']]) {
      expect(outcome(() => resolveUrl(r!, b!)), r).toBe(outcome(() => new URL(r!, b!).toString()));
    }
  });
});
