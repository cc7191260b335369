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
  const yaml = parseYaml(bytes.toString('utf8'), displayPath);
  if (yaml.diagnostics.length) return { baseDir, source, diagnostics: yaml.diagnostics };
  return { baseDir, source, ...(await validateConfig(yaml.value, displayPath, yaml.locate)) };
}
