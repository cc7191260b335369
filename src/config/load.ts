import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostics.js';
import { zodIssuesToDiagnostics } from '../util/validate.js';
import { parseYaml, type Position } from '../util/yaml.js';
import { cronExpressionProblem } from './cron.js';
import { DEFAULT_CONFIG_FILE } from './defaults.js';
import { sourceDigest } from './recorded.js';
import { configSchema, type Config } from './schema.js';


export interface LoadedConfig {
  config?: Config;
  /** Folder relative paths in the config are resolved against. */
  baseDir: string;
  /** Digest of the bytes read (config/recorded.ts), when the file could be read. */
  source?: string;
  diagnostics: Diagnostic[];
}

type Locate = (path: readonly PropertyKey[], key?: boolean) => Position;

/**
 * Validates a config value: the schema, then the cron expression (async: node-cron is loaded
 * only for an expression other than the default). Both are reported together, each at its place.
 */
export async function validateConfig(input: unknown, file: string, locate: Locate = () => ({ line: 1, column: 1 })): Promise<{ config?: Config; diagnostics: Diagnostic[] }> {
  const result = configSchema.safeParse(input ?? {});
  const diagnostics = result.success ? [] : zodIssuesToDiagnostics(result.error, configSchema, input, { locate }, file, 'config');
  const cron = (input as { schedule?: { cron?: unknown } } | null)?.schedule?.cron;
  if (typeof cron === 'string') {
    const problem = await cronExpressionProblem(cron);
    if (problem) {
      diagnostics.push(
        diagnostic({
          code: 'invalid-cron',
          file,
          ...locate(['schedule', 'cron']),
          field: 'schedule.cron',
          message: `"${cron}" is not a cron expression: ${problem}`,
          hint: `write five fields, minute hour day-of-month month day-of-week, e.g. "*/15 * * * *" for every 15 minutes; this is schedule.cron in ${file.startsWith('<') ? 'the config' : file}`,
        }),
      );
    }
  }
  return result.success && diagnostics.length === 0 ? { config: result.data, diagnostics } : { diagnostics };
}

export async function loadConfig(configPath: string, displayPath = configPath): Promise<LoadedConfig> {
  const baseDir = path.dirname(path.resolve(configPath));
  let bytes: Buffer;
  try {
    bytes = await readFile(configPath);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      baseDir,
      diagnostics: [
        diagnostic({
          code: missing ? 'config-missing' : 'config-unreadable',
          file: displayPath,
          message: missing ? 'config file not found' : `cannot read the config file: ${(e as Error).message}`,
          hint: missing ? `create ${DEFAULT_CONFIG_FILE} (see README, "Config") or pass --config FILE` : 'check the path and its permissions',
        }),
      ],
    };
  }
  const source = sourceDigest(bytes);
  // The publisher reads its config at every build (an edit takes effect at the next one); the same
  // bytes at the same path give the same result, so they are parsed and validated once. Each
  // caller gets its own copy: nothing one build does to its config reaches another.
  const key = `${path.resolve(configPath)}\0${displayPath}\0${source}`;
  if (lastLoaded?.key !== key) lastLoaded = { key, result: await parseConfig(bytes, baseDir, source, displayPath) };
  return structuredClone(lastLoaded.result);
}

/** The last config loaded, by its path, display path and bytes. */
let lastLoaded: { key: string; result: LoadedConfig } | undefined;

async function parseConfig(bytes: Buffer, baseDir: string, source: string, displayPath: string): Promise<LoadedConfig> {
  const yaml = parseYaml(bytes.toString('utf8'), displayPath);
  if (yaml.diagnostics.length) return { baseDir, source, diagnostics: yaml.diagnostics };
  return { baseDir, source, ...(await validateConfig(yaml.value, displayPath, yaml.locate)) };
}
