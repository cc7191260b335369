import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from './hash.js';

/** Set by scripts/bundle.mjs: a bundle does not sit where `../package.json` is, and carries its dependencies. */
declare const FEEDPIPE_VERSION: string | undefined;
declare const FEEDPIPE_DEPENDENCIES: string | undefined;

let cached: string | undefined;
let cachedDependencies: string | undefined;

/** feedpipe's own version, from package.json. */
export function version(): string {
  cached ??= typeof FEEDPIPE_VERSION === 'string' ? FEEDPIPE_VERSION : (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}

/**
 * The installed versions of every package, as a short digest for the cache key: upgrading remark
 * or the feed package in place changes output without changing feedpipe's version. Read from
 * npm's record of the nearest node_modules above `from` (`node_modules/.package-lock.json`); a
 * bundle carries the digest of the packages it was made from. '' when there is no record.
 */
export function dependencyVersions(from?: string): string {
  if (from === undefined && typeof FEEDPIPE_DEPENDENCIES === 'string') return FEEDPIPE_DEPENDENCIES;
  if (from === undefined && cachedDependencies !== undefined) return cachedDependencies;
  let digest = '';
  for (let dir = path.dirname(from ?? fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const record = path.join(dir, 'node_modules', '.package-lock.json');
    if (existsSync(record)) {
      try {
        const { packages = {} } = JSON.parse(readFileSync(record, 'utf8')) as { packages?: Record<string, { version?: string }> };
        const installed = Object.entries(packages).map(([where, p]) => `${where}@${p.version ?? ''}`).sort();
        digest = sha256(installed.join('\n')).slice(0, 16);
      } catch {
        // unreadable: as if there were none
      }
      break;
    }
    if (path.dirname(dir) === dir) break;
  }
  if (from === undefined) cachedDependencies = digest;
  return digest;
}
