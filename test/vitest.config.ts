import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** End-to-end suites (whole loop runs, a browser, chaos and crash drills): `--project slow`. */
export const SLOW = ['test/**/*.slow.test.ts', 'test/**/*-real.test.ts', 'test/loop/run/demo.test.ts', 'test/loop/run/chaos.test.ts', 'test/loop/run/crash.test.ts', 'test/loop/agents/claude-real.test.ts', 'test/loop/run/contract-run.test.ts',
  'test/loop/report/report-html.test.ts', 'test/loop/land/merge-gate.test.ts', 'test/loop/run/loop.test.ts', 'test/loop/schedule/scheduler.test.ts', 'test/loop/tty/view-tty.test.ts', 'test/loop/run/config.test.ts', 'test/heal/heal.test.ts', 'test/loop/land/ratchet-run.test.ts',
  'test/loop/land/pr.test.ts', 'test/loop/land/pr-queue.test.ts', 'test/loop/land/live.test.ts', 'test/loop/queue/*.test.ts', 'test/loop/tracker/watch-run.test.ts'];
/** The oracle's own suites: a heal cannot change the oracle, and the tripwire's golden check runs its tracker read path. */
export const ORACLE = ['test/oracle/oracle.test.ts', 'test/oracle/contract-oracle.test.ts'];
/** Real projects packed as fixtures (test/fixtures/real-*): their own tests run inside them, never here. */
const FIXTURES = ['test/fixtures/**'];
/** The tripwire's own corpus and golden runs: never part of `fast`, which a tripwire verdict runs (no recursion). */
export const TRIPWIRE = ['test/heal/tripwire*.test.ts', 'test/oracle/golden*.test.ts'];

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    // no top-level include: `extends: true` would concatenate it into every project's
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: [...SLOW, ...ORACLE, ...TRIPWIRE, ...FIXTURES] } },
      { extends: true, test: { name: 'slow', include: SLOW } },
      { extends: true, test: { name: 'oracle', include: ORACLE } },
      { extends: true, test: { name: 'tripwire', include: TRIPWIRE } },
    ],
  },
});
