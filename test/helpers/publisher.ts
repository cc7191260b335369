import { runPublisher, type StartOptions } from '../../src/start/start.js';

/** Runs the publisher in this process, cron off, and collects what it prints. */
export function launch(root: string, options: Partial<StartOptions> = {}, timeoutMs = 3000) {
  const controller = new AbortController();
  const out = { stdout: '', stderr: '' };
  const done = runPublisher({
    build: { cwd: root },
    signal: controller.signal,
    out: { stdout: (t) => (out.stdout += t), stderr: (t) => (out.stderr += t) },
    cron: false,
    ...options,
  });
  const until = async (what: () => boolean | Promise<boolean>, ms = timeoutMs) => {
    const end = Date.now() + ms;
    while (!(await what())) {
      if (Date.now() > end) throw new Error(`timed out; stdout:\n${out.stdout}\nstderr:\n${out.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const runs = () => out.stdout.split('\n').filter((l) => /^\d{4}-\S+Z /.test(l));
  const port = () => Number(/serving dist at http:\/\/127\.0\.0\.1:(\d+)\//.exec(out.stderr)?.[1] ?? NaN);
  return { out, done, runs, until, port, stop: () => (controller.abort(), done) };
}
