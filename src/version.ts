import { readFileSync } from 'node:fs';

/** Set by scripts/bundle.mjs: a bundle does not sit where `../package.json` is. */
declare const FEEDPIPE_VERSION: string | undefined;

let cached: string | undefined;

/** feedpipe's own version, from package.json. */
export function version(): string {
  cached ??= typeof FEEDPIPE_VERSION === 'string' ? FEEDPIPE_VERSION : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
