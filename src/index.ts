export { build, check, type BuildOptions, type BuildReport, type FeedSummary } from './build.js';
export { configSchema, loadConfig, type Config, type ConfigInput } from './config.js';
export { formatDiagnostics, type Diagnostic, type Severity } from './diagnostics.js';
export { frontmatterSchema, type Article, type Frontmatter, type Person } from './content/schema.js';
export { selectVisible, selectScheduled, nextDue } from './publish/select.js';
export { runCli } from './cli.js';
export { createFeedServer, type FeedServer, type FeedServerOptions, type ReloadResult } from './serve.js';
export { announcePublish, changedFeedUrls, pingHubs, type PingOptions, type PingResult } from './websub.js';
