import type * as z from 'zod';
import { CATALOGUE, closest, diagnostic, formatField, type Diagnostic, type DiagnosticCode } from '../diagnostics/diagnostics.js';
import type { ParsedYaml } from './yaml.js';

/** Parameters a refinement attaches to its issue so the diagnostic gets a stable code and a hint. */
export interface IssueParams {
  code?: DiagnosticCode;
  hint?: string;
}

/**
 * Whose words a diagnostic speaks: an article's frontmatter, or the config file. A config
 * diagnostic names its file, the key path and the values the key accepts, and its hint tells
 * what to change in that file; a frontmatter one keeps the words an author knows.
 */
export type IssueSubject = 'frontmatter' | 'config';

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
  subject: IssueSubject = 'frontmatter',
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of error.issues) {
    const path = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(unknownKey(schema, path, key, yaml, file, subject));
      continue;
    }
    const value = valueAt(input, path);
    const said = subject === 'config' ? configWords(issue, schema, path, value, file) : frontmatterWords(issue, path, value);
    out.push(diagnostic({ file, ...yaml.locate(path, value === undefined), field: formatField(path), ...said }));
  }
  return out;
}

type Words = { code: DiagnosticCode; message: string; hint?: string };

function unknownKey(schema: z.ZodType, path: PropertyKey[], key: string, yaml: Pick<ParsedYaml, 'locate'>, file: string, subject: IssueSubject): Diagnostic {
  const known = keysAt(schema, path);
  const suggestion = closest(key, known);
  const where = { file, ...yaml.locate([...path, key], true), field: formatField([...path, key]) };
  if (subject === 'frontmatter') {
    return diagnostic({ code: 'unknown-field', ...where, message: `unknown field "${key}"`, hint: suggestion ? `did you mean "${suggestion}"?` : `known fields: ${known.join(', ')}` });
  }
  const under = path.length ? ` under ${formatField(path)}` : '';
  return diagnostic({
    code: 'unknown-field',
    ...where,
    message: `unknown key "${key}"${under}; accepted keys: ${known.join(', ')}`,
    hint: suggestion ? `did you mean "${suggestion}"? Rename the key in ${configName(file)}` : `remove the key from ${configName(file)}, or move it where it belongs`,
  });
}

function frontmatterWords(issue: z.core.$ZodIssue, path: PropertyKey[], value: unknown): Words {
  const params = ((issue as { params?: IssueParams }).params ?? {}) as IssueParams;
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
  return { code, message, ...(hint ? { hint } : {}) };
}

/** The config file as a hint names it: a programmatic config object has no file. */
function configName(file: string): string {
  return file.startsWith('<') ? 'the config' : file;
}

function configWords(issue: z.core.$ZodIssue, schema: z.ZodType, path: PropertyKey[], value: unknown, file: string): Words {
  const params = ((issue as { params?: IssueParams }).params ?? {}) as IssueParams;
  const name = configName(file);
  const key = formatField(path);
  const accepted = acceptedAt(schema, path);
  if (issue.code === 'invalid_type' && value === undefined) {
    const leaf = String(path[path.length - 1]);
    const parent = path.length > 1 ? ` under ${formatField(path.slice(0, -1))}:` : '';
    return { code: 'missing-field', message: `is required: ${accepted}`, hint: `add ${leaf}:${parent} to ${name}` };
  }
  if (issue.code === 'invalid_type' || issue.code === 'too_small' || issue.code === 'too_big' || issue.code === 'invalid_value' || issue.code === 'invalid_union') {
    const code = issue.code === 'invalid_type' ? 'invalid-type' : (params.code ?? 'invalid-field');
    return { code, message: `must be ${accepted}, got ${describe(value)}`, hint: `in ${name}, set ${key} to ${accepted}` };
  }
  // A refinement's own code carries its catalogue hint; the config's place is added to it.
  const own = params.hint ?? (params.code ? CATALOGUE[params.code].hint : undefined);
  const hint = own ? `${own}; this is ${key} in ${name}` : `in ${name}, set ${key} to ${accepted}`;
  return { code: params.code ?? 'invalid-field', message: issue.message, hint };
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

/** In words, the values the schema accepts at `path`: type, range, options. */
export function acceptedAt(schema: z.ZodType, path: readonly PropertyKey[]): string {
  let s: unknown = schema;
  for (const part of path) s = childOf(s, part);
  return s ? describeSchema(s) : 'a value';
}

type Def = Record<string, unknown> & { type?: string };
const defOf = (s: unknown): Def | undefined => (s as { _zod?: { def?: Def } })?._zod?.def;

/** The schema one step down `part`, through the wrappers (default, optional, pipe) around it. */
function childOf(s: unknown, part: PropertyKey): unknown {
  const inner = unwrap(s);
  const def = defOf(inner);
  if (def?.type === 'object') return (def.shape as Record<string, unknown>)[String(part)];
  if (def?.type === 'array') return def.element;
  return undefined;
}

function unwrap(s: unknown): unknown {
  for (let def = defOf(s); def; def = defOf(s)) {
    if (def.type === 'pipe') s = def.in;
    else if ('innerType' in def) s = def.innerType;
    else break;
  }
  return s;
}

function describeSchema(schema: unknown): string {
  const s = unwrap(schema) as { minValue?: number | null; maxValue?: number | null; isInt?: boolean; minLength?: number | null; options?: unknown[] };
  const def = defOf(s);
  switch (def?.type) {
    case 'number': {
      const kind = s.isInt ? 'a whole number' : 'a number';
      const min = Number.isFinite(s.minValue) ? s.minValue : undefined;
      const max = Number.isFinite(s.maxValue) && (s.maxValue as number) < Number.MAX_SAFE_INTEGER ? s.maxValue : undefined;
      if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
      if (min !== undefined) return `${kind} of at least ${min}`;
      return max !== undefined ? `${kind} of at most ${max}` : kind;
    }
    case 'string':
      return s.minLength ? 'non-empty text' : 'text';
    case 'boolean':
      return 'true or false (without quotes)';
    case 'enum':
      return `one of ${Object.values(def.entries as Record<string, string>).join(', ')}`;
    case 'array':
      return `a list of ${describeSchema(def.element).replace(/^an? /, '')}`;
    case 'object':
      return `a mapping with the keys ${Object.keys(def.shape as object).join(', ')}`;
    case 'union':
      return (def.options as unknown[]).map(describeSchema).join(', or ');
    default:
      return 'a value';
  }
}
