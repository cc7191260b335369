import type * as z from 'zod';
import { closest, diagnostic, formatField, type Diagnostic } from '../diagnostics/diagnostics.js';
import type { ParsedYaml } from './yaml.js';

/** Parameters a refinement attaches to its issue so the diagnostic gets a stable code and a hint. */
export interface IssueParams {
  code?: string;
  hint?: string;
}

/**
 * Turns zod issues into positioned diagnostics: every issue, with the line and
 * column of its key or value, a kebab-case code, and a hint that says what to do.
 */
export function zodIssuesToDiagnostics(
  error: z.ZodError,
  schema: z.ZodType,
  input: unknown,
  yaml: Pick<ParsedYaml, 'locate'>,
  file: string,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of error.issues) {
    const path = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      const known = keysAt(schema, path);
      for (const key of issue.keys) {
        const suggestion = closest(key, known);
        out.push(
          diagnostic({
            code: 'unknown-field',
            file,
            ...yaml.locate([...path, key], true),
            field: formatField([...path, key]),
            message: `unknown field "${key}"`,
            hint: suggestion ? `did you mean "${suggestion}"?` : `known fields: ${known.join(', ')}`,
          }),
        );
      }
      continue;
    }
    const params = ((issue as { params?: IssueParams }).params ?? {}) as IssueParams;
    const value = valueAt(input, path);
    let message = issue.message;
    let code = params.code ?? 'invalid-field';
    let hint = params.hint;
    if (issue.code === 'invalid_type') {
      if (value === undefined) {
        code = 'missing-field';
        message = `is required`;
        hint ??= `add "${String(path[path.length - 1])}:" to the frontmatter`;
      } else {
        code = 'invalid-type';
        message = `expected ${issue.expected}, got ${describe(value)}`;
        if (issue.expected === 'string' && value !== null && typeof value !== 'object') hint ??= 'put the value in quotes';
        if (issue.expected === 'boolean') hint ??= 'write true or false, without quotes';
      }
    }
    out.push(diagnostic({ code, file, ...yaml.locate(path, value === undefined), field: formatField(path), message, ...(hint ? { hint } : {}) }));
  }
  return out;
}

function describe(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return `${typeof value} ${String(value)}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, p)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** The field names a schema accepts at `path`, for did-you-mean hints. */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const found = new Set<string>();
  const walk = (s: unknown, rest: readonly PropertyKey[]): void => {
    const def = (s as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
    if (!def) return;
    switch (def.type) {
      case 'object': {
        const shape = def.shape as Record<string, unknown>;
        if (rest.length === 0) Object.keys(shape).forEach((k) => found.add(k));
        else walk(shape[String(rest[0])], rest.slice(1));
        return;
      }
      case 'array':
        if (rest.length) walk(def.element, rest.slice(1));
        return;
      case 'union':
        (def.options as unknown[]).forEach((o) => walk(o, rest));
        return;
      case 'pipe':
        walk(def.in, rest);
        return;
      default:
        if ('innerType' in def) walk(def.innerType, rest);
    }
  };
  walk(schema, path);
  return [...found];
}
