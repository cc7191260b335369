import type { BuildProgress } from '../build/build.js';
import type { StartOutput } from './log.js';

export interface ProgressDisplay {
  update: (p: BuildProgress) => void;
  /** Clears the line, if one was shown. */
  done: () => void;
}

/** `loading 1200/100000 files…` on a terminal, for builds that take long enough to wonder. */
export function progressDisplay(out: StartOutput, enabled: boolean, clock: () => number = () => performance.now()): ProgressDisplay {
  const started = clock();
  let last = 0;
  let shown = false;
  return {
    update: (p) => {
      if (!enabled) return;
      const t = clock();
      if (t - started < 500 || t - last < 100) return;
      last = t;
      shown = true;
      const doing = { load: 'loading', validate: 'checking', render: 'rendering' }[p.stage];
      out.stderr(`\r\x1b[K${doing} ${p.done}/${p.total} ${p.stage === 'load' ? 'files' : 'articles'}…`);
    },
    done: () => {
      if (shown) out.stderr('\r\x1b[K');
      shown = false;
    },
  };
}
