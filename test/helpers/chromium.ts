import { existsSync } from 'node:fs';

/**
 * The Chromium the browser tests drive (playwright-core downloads none):
 *  1. CHROMIUM_PATH, when set and there;
 *  2. Debian's /usr/bin/chromium (`.ci/run` installs it), when CHROMIUM_PATH is not set;
 *  3. otherwise the one that ships inside the npm package @sparticuz/chromium (a devDependency):
 *     a headless shell, unpacked into the temp folder on first use (about 10 s, then reused),
 *     that needs only libnss3, libnspr4 and libexpat1 of the system, which a Debian image with
 *     Node has. So `npm install && npm test` runs them on a machine with only Node.
 * CHROMIUM_PATH set to a path that does not exist skips Debian's, to try the npm one.
 */
export async function findChromium(): Promise<{ executablePath: string; from: string }> {
  const chosen = process.env.CHROMIUM_PATH;
  if (chosen && existsSync(chosen)) return { executablePath: chosen, from: 'CHROMIUM_PATH' };
  if (!chosen && existsSync('/usr/bin/chromium')) return { executablePath: '/usr/bin/chromium', from: 'Debian chromium' };
  try {
    const { default: packaged } = await import('@sparticuz/chromium');
    return { executablePath: await packaged.executablePath(), from: 'npm @sparticuz/chromium' };
  } catch (e) {
    throw new Error(
      `no Chromium: ${chosen ? `CHROMIUM_PATH (${chosen}) does not exist, and ` : '/usr/bin/chromium is not installed, and '}` +
        `the one in npm's @sparticuz/chromium could not be unpacked (${(e as Error).message}). ` +
        'Run npm install, or install Debian\'s (apt-get install -y chromium; .ci/run does), or set CHROMIUM_PATH',
    );
  }
}
