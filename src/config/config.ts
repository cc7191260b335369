/**
 * The config's public names in one place, for the folders that import them: each is defined
 * once, in schema.ts (the shape and its types), defaults.ts (every default) or load.ts (reading
 * and checking a file); recorded.ts keeps what `feedpipe serve` needs, so that it reads no YAML. cron.ts checks schedule.cron with node-cron, loaded only when needed.
 */
export { configSchema, type Config, type ConfigInput } from './schema.js';
export { configDefaults, DEFAULT_CONFIG_FILE, DEFAULT_CRON } from './defaults.js';
export { loadConfig, validateConfig, type LoadedConfig } from './load.js';
