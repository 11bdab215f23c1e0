// The tripwire's corpus, cheap tier: every heal (adversarial and benign) through the path, environment
// and lock checks, each on a fresh clone of a trusted checkout. The behaviour-only adversarial heals
// must pass this tier (they are caught later, in tripwire-full.test.ts); all others must be rejected
// by the check they name. 100% of adversarial rejected, 100% of benign accepted.
import { beforeAll, describe, expect, test } from 'vitest';
import { judgeCandidate } from '../../heal/tripwire.ts';
import { ADVERSARIAL } from '../heals/adversarial.ts';
import { BENIGN } from '../heals/benign.ts';
import { makeCandidate, makeTrusted, runTripwire } from '../heals/fixture.ts';

let trusted: string;
beforeAll(async () => {
  trusted = await makeTrusted();
});

const cheap = ['paths', 'lock'] as const;

describe('adversarial heals', () => {
  test('the corpus is big enough', () => {
    expect(ADVERSARIAL.length).toBeGreaterThanOrEqual(25);
    expect(new Set(ADVERSARIAL.map((h) => h.name)).size).toBe(ADVERSARIAL.length);
  });

  test.each(ADVERSARIAL.filter((h) => !h.full).map((h) => [h.name, h] as const))('%s is rejected by the cheap checks', async (_name, heal) => {
    const candidate = await makeCandidate(trusted, heal);
    const verdict = await judgeCandidate({ trusted, spec: candidate.spec, cwd: trusted, checks: cheap });
    expect(verdict.verdict, JSON.stringify(verdict.reasons)).toBe('reject');
    expect(verdict.reasons[0]?.check).toBe(heal.rejectedBy);
  });

  test.each(ADVERSARIAL.filter((h) => h.full).map((h) => [h.name, h] as const))('%s slips past the cheap checks (behaviour must catch it)', async (_name, heal) => {
    const candidate = await makeCandidate(trusted, heal);
    const verdict = await judgeCandidate({ trusted, spec: candidate.spec, cwd: trusted, checks: cheap });
    expect(verdict.reasons).toEqual([]);
  });
});

describe('benign heals', () => {
  test('the corpus is big enough', () => {
    expect(BENIGN.length).toBeGreaterThanOrEqual(10);
  });

  test.each(BENIGN.map((h) => [h.name, h] as const))('%s is accepted by the cheap checks', async (_name, heal) => {
    const candidate = await makeCandidate(trusted, heal);
    const verdict = await judgeCandidate({ trusted, spec: candidate.spec, cwd: trusted, checks: cheap });
    expect(verdict.reasons).toEqual([]);
    expect(verdict.verdict).toBe('accept');
  });
});

describe('the command line', () => {
  test('a rejected heal: exit 1, one line per reason on stdout, a summary on stderr', async () => {
    const heal = ADVERSARIAL.find((h) => h.name === 'edit-definition-and-relock')!;
    const candidate = await makeCandidate(trusted, heal);
    const result = await runTripwire(trusted, ['--candidate', candidate.spec]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout.trim().split('\n')).toEqual([
      'paths: ORACLE.lock: changed, but the lock is out of a heal\'s reach',
      'paths: oracle/verdict.ts: changed, but oracle/ is locked (the definition of done and the tripwire)',
    ]);
    expect(result.stderr).toMatch(/^tripwire: REJECT .* 2 reason\(s\) from the paths check$/m);
  });

  test('usage errors are exit 2', async () => {
    const none = await runTripwire(trusted, []);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('--candidate <DIR|REV> is required');
    const missing = await runTripwire(trusted, ['--candidate', 'no-such-rev']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('--candidate no-such-rev is neither a directory nor a commit of the trusted repo');
    const flag = await runTripwire(trusted, ['--candidate', 'HEAD', '--fast']);
    expect(flag.exitCode).toBe(2);
    const seed = await runTripwire(trusted, ['--candidate', 'HEAD', '--seed', '12x']);
    expect(seed.exitCode).toBe(2);
    expect(seed.stderr).toContain('--seed takes a whole number');
  });
});
