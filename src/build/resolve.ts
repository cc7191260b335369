/**
 * Which config, content folder and output folder a build works with. Kept apart from build.ts
 * so that `feedpipe serve`, which needs only this, does not load the stages of the build.
 */
import path from 'node:path';
import { DEFAULT_CONFIG_FILE, loadConfig, validateConfig, type Config, type ConfigInput } from '../config/config.js';
import type { Diagnostic } from '../diagnostics/diagnostics.js';
import { toDisplayPath } from '../util/paths.js';

/** The part of BuildOptions that says where the config and the folders are. */
export interface ConfigSource {
  configPath?: string;
  config?: ConfigInput;
  contentDir?: string;
  outDir?: string;
  cwd?: string;
}

export interface ResolvedConfig {
  config?: Config;
  contentDir: string;
  outDir: string;
  baseDir: string;
  /** The config file read, and the digest of its bytes (config/recorded.ts); absent for an inline config. */
  file?: { path: string; source: string };
  diagnostics: Diagnostic[];
}

export async function resolveConfig(options: ConfigSource): Promise<ResolvedConfig> {
  const cwd = options.cwd ?? process.cwd();
  let loaded: { config?: Config; diagnostics: Diagnostic[] };
  let baseDir = cwd;
  let file: ResolvedConfig['file'];
  if (options.config) {
    loaded = await validateConfig(options.config, '<config>');
  } else {
    const configFile = path.resolve(cwd, options.configPath ?? DEFAULT_CONFIG_FILE);
    const result = await loadConfig(configFile, toDisplayPath(configFile, cwd));
    loaded = result;
    baseDir = result.baseDir;
    if (result.source) file = { path: configFile, source: result.source };
  }
  const config = loaded.config;
  const contentDir = options.contentDir ? path.resolve(cwd, options.contentDir) : path.resolve(baseDir, config?.content ?? 'content');
  const outDir = options.outDir ? path.resolve(cwd, options.outDir) : path.resolve(baseDir, config?.output ?? 'dist');
  return { ...(config ? { config } : {}), contentDir, outDir, baseDir, ...(file ? { file } : {}), diagnostics: loaded.diagnostics };
}
