/**
 * The steps of a publication and of its recovery (publish/journal.ts), each one file-system
 * operation (or, for `stage`, one file's temp and backup), so that a test can stop the process
 * at any of them and kill it there (test/e2e/crash.test.ts). Steps of a recovery are prefixed
 * `recover-` where a publication has the same step.
 */
export type PublishStep =
  | 'stage' // one file written beside its target, fsynced, its backup linked (the manifest first)
  | 'journal-open' // the journal created, still empty
  | 'rename' // one staged file renamed into place (the journal was written whole before the first)
  | 'manifest' // the new manifest renamed into place: the publication is committed
  | 'remove' // one file no longer published removed
  | 'clean' // the backups (and, in recovery, damaged temps) removed; the journal goes next
  | 'recover-rename'
  | 'recover-manifest'
  | 'recover-remove'
  | 'recover-clean'
  | 'undo' // one file of an interrupted publication put back as it was
  | 'stale-remove' // one temp file left by a killed process removed
  | 'recovered'; // the output folder's recovery is over (recoverOutput)

/** Runs `op`, the one operation of `step`. */
export type StepRunner = <T>(step: PublishStep, op: () => Promise<T>) => Promise<T>;

/**
 * FEEDPIPE_TEST_PUBLISH_HOLD_AT, a test hook: a list of `STEP:K` (e.g. `rename:3,stage:1`).
 * Once K operations of STEP have completed, and before another begins, the process prints
 * `feedpipe test hold: STEP:K` on stderr and holds there until killed: no step of any kind
 * completes after that (K = 0: at the first operation of STEP, before it begins). Counts run
 * over the process's life. `STEP:K:resume` holds only until SIGUSR2, then goes on. Unset, each
 * step is its operation and nothing else.
 */
export function holdAt(spec: string | undefined, announce: (line: string) => void): StepRunner {
  if (!spec) return (_step, op) => op();
  const targets = new Map(spec.split(',').map((entry) => {
    const [step = '', k = '0', mode] = entry.trim().split(':');
    return [step, { k: Number(k), resume: mode === 'resume' }] as const;
  }));
  const begun = new Map<string, number>();
  const done = new Map<string, number>();
  let frozen = false;
  const forever = () => new Promise<never>(() => undefined);
  const hold = (line: string, resume: boolean): Promise<void> => {
    // A promise alone does not keep a process running: a timer does, while it holds.
    const alive = setInterval(() => undefined, 60_000);
    const resumed = resume ? new Promise<void>((r) => process.once('SIGUSR2', () => r())).finally(() => clearInterval(alive)) : forever();
    if (!resume) frozen = true;
    announce(`feedpipe test hold: ${line}\n`);
    return resumed;
  };
  return async (step, op) => {
    const target = targets.get(step);
    if (frozen) return forever();
    if (!target) return op();
    const index = begun.get(step) ?? 0;
    begun.set(step, index + 1);
    if (!target.resume && index >= target.k) return index === 0 ? hold(`${step}:0`, false).then(forever) : forever();
    const result = await op();
    if (frozen) return forever();
    const count = (done.get(step) ?? 0) + 1;
    done.set(step, count);
    if (count === target.k) await hold(`${step}:${count}`, target.resume);
    return result;
  };
}

/** The one runner of this process's publications. */
export const runStep: StepRunner = holdAt(process.env.FEEDPIPE_TEST_PUBLISH_HOLD_AT, (line) => process.stderr.write(line));
