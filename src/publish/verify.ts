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
  if (relPath.endsWith('.json')) {
    const error = parseJsonFeed(text);
    return error ? [invalid(relPath, error)] : [];
  }
  const error = parseXml(text);
  return error ? [invalid(relPath, error)] : [];
}

export interface ParseError {
  message: string;
  line?: number;
  column?: number;
}

/** The diagnostic for a file that does not parse. */
export function invalid(relPath: string, error: ParseError): Diagnostic {
  return diagnostic({
    code: 'output-invalid',
    file: relPath,
    ...(error.line ? { line: error.line, column: error.column ?? 1 } : {}),
    message: `generated file does not parse: ${error.message}`,
    hint: 'nothing was written; this is a feedpipe bug, please report it with the article that triggers it',
  });
}

function parseJsonFeed(text: string): ParseError | undefined {
  try {
    const parsed = JSON.parse(text) as { version?: unknown; items?: unknown };
    if (parsed.version !== 'https://jsonfeed.org/version/1.1' || !Array.isArray(parsed.items)) return { message: 'not a JSON Feed 1.1 document' };
  } catch (e) {
    return { message: (e as Error).message };
  }
  return undefined;
}

function parseXml(text: string): ParseError | undefined {
  const parser = new SaxesParser({ xmlns: true, position: true });
  let error: ParseError | undefined;
  // The place is read when the error is reported: close() resets the parser's position to 1:0.
  const record = (e: Error) => {
    error ??= { message: e.message.split('\n')[0]!.replace(/^\d+:\d+: /, ''), line: parser.line, column: Math.max(1, parser.column) };
  };
  parser.on('error', record);
  try {
    parser.write(text).close();
  } catch (e) {
    record(e as Error);
  }
  return error;
}
