export { build, check, type BuildOptions, type BuildReport, type FeedSummary } from './build.js';
export { configSchema, loadConfig, type Config, type ConfigInput } from './config.js';
export { formatDiagnostics, type Diagnostic, type Severity } from './diagnostics.js';
export { frontmatterSchema, type Article, type Frontmatter, type Person } from './content/schema.js';
export { selectVisible, selectScheduled, nextDue } from './publish/select.js';
export { runCli } from './cli.js';
export { Publisher, type BuildOutcome, type Clock, type PublisherOptions, type Timers, type Trigger } from './publisher.js';
export { runPublisher, type StartOptions } from './start.js';
