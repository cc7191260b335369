/** `feedpipe schedule`: what is still to come, and the drafts; writes nothing. */
import { build, type BuildOptions } from '../build/build.js';
import { formatDiagnostics } from '../diagnostics/diagnostics.js';
import { formatAgenda } from './agenda.js';
import { EXIT_FAILED, EXIT_OK } from './exit.js';
import type { CliIO } from './io.js';

export async function runSchedule(options: BuildOptions, io: CliIO): Promise<number> {
  // As the publisher will see it: a file with errors holds back nobody else (and is listed).
  const report = await build({ ...options, write: false, keepGoing: true });
  if (report.diagnostics.length) io.stderr(formatDiagnostics(report.diagnostics));
  if (!report.config) return EXIT_FAILED;
  io.stdout(formatAgenda(report, report.config.site.timezone));
  return report.ok && !report.held?.length ? EXIT_OK : EXIT_FAILED;
}
