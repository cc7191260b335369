import path from 'node:path';
import type { Config } from '../config/config.js';
import { sha256 } from '../util/hash.js';
import { dependencyVersions, version } from '../util/version.js';
import { CACHE_FORMAT } from './cache.js';

/**
 * What every saved result depends on besides the content and the clock: feedpipe's version, the
 * cache format, the installed packages, the config and the folders. Any change starts afresh.
 */
export function cacheKey(inputs: { config: Config; contentDir: string; outDir: string; cwd: string }): string {
  const { config, contentDir, outDir, cwd } = inputs;
  return sha256(JSON.stringify({ format: CACHE_FORMAT, version: version(), dependencies: dependencyVersions(), config, contentDir, outDir, cwd }));
}

/** The cache's main file in `cacheDir`, one per pair of content and output folders. */
export function cacheFileFor(cacheDir: string, contentDir: string, outDir: string): string {
  return path.join(cacheDir, `build-${sha256(`${contentDir}\0${outDir}`).slice(0, 16)}.json`);
}
