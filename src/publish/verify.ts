import { SaxesParser } from 'saxes';
import { diagnostic, type Diagnostic } from '../diagnostics.js';

/**
 * Every file is re-parsed in memory before anything is written: a document a
 * strict parser rejects never reaches dist/. saxes is a conforming XML 1.0
 * parser (it refuses control characters, a "<" in an attribute value, a
 * broken CDATA section, undeclared prefixes); fast-xml-parser's validator,
 * tried first, accepts all of those. A failure here is a feedpipe bug, and
 * the message says so.
 */
export function verifyOutput(relPath: string, text: string): Diagnostic[] {
  const fail = (message: string, line?: number, column?: number) => [
    diagnostic({
      code: 'output-invalid',
      file: relPath,
      ...(line ? { line, column: column ?? 1 } : {}),
      message: `generated file does not parse: ${message}`,
      hint: 'nothing was written; this is a feedpipe bug, please report it with the article that triggers it',
    }),
  ];
  if (relPath.endsWith('.json')) {
    try {
      const parsed = JSON.parse(text) as { version?: unknown; items?: unknown };
      if (parsed.version !== 'https://jsonfeed.org/version/1.1' || !Array.isArray(parsed.items)) return fail('not a JSON Feed 1.1 document');
    } catch (e) {
      return fail((e as Error).message);
    }
    return [];
  }
  const parser = new SaxesParser({ xmlns: true, position: true });
  let error: Error | undefined;
  parser.on('error', (e) => {
    error ??= e;
  });
  try {
    parser.write(text).close();
  } catch (e) {
    error ??= e as Error;
  }
  if (error) return fail(error.message.split('\n')[0]!, parser.line, parser.column);
  return [];
}
