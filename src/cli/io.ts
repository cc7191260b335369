/** What the CLI prints to and is stopped by: a parameter, so tests call runCli without a process of their own. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd?: string;
  /**
   * Stops `feedpipe start` and `feedpipe serve`. Without it, runCli stops them
   * on SIGINT and SIGTERM itself; tests pass their own so they never send signals.
   */
  signal?: AbortSignal;
  /** stderr is a terminal (progress display of long builds). */
  isTTY?: boolean;
}
