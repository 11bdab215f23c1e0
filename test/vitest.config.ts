import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** End-to-end suites (whole loop runs, a browser, chaos and crash drills): `--project slow`. */
const SLOW = ['test/**/*.slow.test.ts', 'test/**/*-real.test.ts', 'test/demo.test.ts', 'test/chaos.test.ts', 'test/crash.test.ts', 'test/claude-real.test.ts', 'test/contract-run.test.ts',
  'test/report-html.test.ts', 'test/merge-gate.test.ts', 'test/loop.test.ts', 'test/scheduler.test.ts', 'test/view-tty.test.ts', 'test/config.test.ts', 'test/heal.test.ts', 'test/ratchet-run.test.ts'];
/** The oracle's own suites: a heal cannot change the oracle, and the tripwire's golden check runs its tracker read path. */
const ORACLE = ['test/oracle.test.ts', 'test/contract-oracle.test.ts'];
/** Real projects packed as fixtures (test/fixtures/real-*): their own tests run inside them, never here. */
const FIXTURES = ['test/fixtures/**'];
/** The tripwire's own corpus and golden runs: never part of `fast`, which a tripwire verdict runs (no recursion). */
const TRIPWIRE = ['test/tripwire*.test.ts', 'test/golden*.test.ts'];

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
