// The tripwire's corpus, full tier: the adversarial heals that pass the cheap checks must fall to
// behaviour (the golden cases through the candidate's trackers, or the loop check with lying workers),
// and two benign heals must pass the whole verdict, each through the real `nightshift tripwire` CLI
// run from the trusted checkout on a fresh clone without node_modules. The loop check draws its batch
// afresh for every verdict (the seed is in the verdict); one heal is judged with --seed to replay a draw.
import { beforeAll, expect, test } from 'vitest';
import type { TripwireVerdict } from '../../heal/tripwire.ts';
import { drawLoopCheck } from '../../heal/tripwire-loop.ts';
import { ADVERSARIAL } from '../heals/adversarial.ts';
import { BENIGN } from '../heals/benign.ts';
import { makeCandidate, makeTrusted, runTripwire } from '../heals/fixture.ts';

let trusted: string;
beforeAll(async () => {
  trusted = await makeTrusted();
});

async function verdictOf(name: string, heals: typeof ADVERSARIAL, extra: string[] = []): Promise<{ exitCode: number; verdict: TripwireVerdict }> {
  const heal = heals.find((h) => h.name === name)!;
  const candidate = await makeCandidate(trusted, heal);
  const result = await runTripwire(trusted, ['--candidate', candidate.spec, '--json', ...extra]);
  return { exitCode: result.exitCode, verdict: JSON.parse(result.stdout) as TripwireVerdict };
}

test.each(ADVERSARIAL.filter((h) => h.full).map((h, i) => [h.name, h.rejectedBy, i] as const))('%s is rejected by the %s check', async (name, check, i) => {
  // the first is judged on a replayed draw (--seed), the others on fresh ones
  const seed = i === 0 ? 3_141_592 : undefined;
  const { exitCode, verdict } = await verdictOf(name, ADVERSARIAL, seed === undefined ? [] : ['--seed', String(seed)]);
  expect(verdict.verdict, JSON.stringify(verdict.reasons)).toBe('reject');
  expect(Number.isInteger(verdict.seed)).toBe(true);
  if (seed !== undefined) expect(verdict).toMatchObject({ seed, loop: { batch: drawLoopCheck(seed).batch, repo: drawLoopCheck(seed).repo } });
  if (check === 'loop') for (const r of verdict.reasons) expect(r.message).toContain(`--seed ${verdict.seed}`);
  expect(exitCode).toBe(1);
  expect([...new Set(verdict.reasons.map((r) => r.check))]).toEqual([check]);
  // fail fast: nothing after the failing check ran
  const at = verdict.checks.findIndex((c) => c.result === 'failed');
  expect(verdict.checks.slice(at + 1).every((c) => c.result === 'not-run')).toBe(true);
}, 600_000);

test.each(BENIGN.filter((h) => h.full).map((h) => [h.name] as const))('%s passes the whole verdict', async (name) => {
  const { exitCode, verdict } = await verdictOf(name, BENIGN);
  expect(verdict.reasons).toEqual([]);
  expect(exitCode).toBe(0);
  expect(verdict.checks.map((c) => `${c.name}:${c.result}`)).toEqual(['paths:passed', 'lock:passed', 'typecheck:passed', 'golden:passed', 'loop:passed', 'unit:passed']);
}, 600_000);
