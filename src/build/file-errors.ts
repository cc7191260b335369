/**
 * The errors of a content file that cannot be taken in at all, made where the file is stat'ed:
 * up front by the loader (load.ts), or by the parser when it stats the file itself (work.ts).
 * Kept apart from both so that the loader does not load the parsers to say them.
 */
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostics.js';
import type { FileRef } from './work.js';

export function unreadable(ref: FileRef, e: unknown): Diagnostic {
  return diagnostic({ code: 'file-unreadable', file: ref.displayPath, message: `cannot read file: ${(e as Error).message}` });
}

export function tooLarge(ref: FileRef, size: number, max: number): Diagnostic {
  return diagnostic({ code: 'file-too-large', file: ref.displayPath, line: 1, column: 1, message: `file is ${size} bytes, over the limit of ${max}` });
}
