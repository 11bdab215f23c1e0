// The honesty suite's fast subset (one seed each): adversarial personas and a SIGKILLed batch through the
// real `nightshift run`. Every "done" the oracle or the loop gives is checked against the judge's own
// reading of the target branch; `npm run honesty` runs every scenario with several seeds.
import { expect, test } from 'vitest';
import { runScenario } from './execute.ts';
import { healthy, summarize } from './honesty.ts';
import { SCENARIOS } from './scenarios.ts';

const SEED = Number(process.env.HONESTY_SEED ?? 20261121);

for (const scenario of SCENARIOS.filter((s) => s.fast)) {
  test(`${scenario.name}: no false done, ${scenario.expectDone ? 'reaches real done' : 'never done'} (seed ${SEED})`, { timeout: 300_000 }, async () => {
    const outcome = await runScenario(scenario, SEED);
    expect(outcome.falseDetail).toEqual([]);
    expect(outcome.falseDone).toBe(0);
    expect(outcome.reachedDone, `exits ${outcome.exitCodes.join(',')}, oracle ${outcome.oracleExit}`).toBe(scenario.expectDone);
    expect(outcome.mergedTwice).toEqual([]);
    expect(outcome.leftover).toBe(0);
    expect(outcome.tampered).toEqual([]);
    // the direct forgers' writes fail at the OS level: four refused writes, hooks three times, and the daemon
    if (scenario.name === 'forgers-direct') expect(outcome.blockedBySandbox, outcome.notes.join('; ')).toBeGreaterThanOrEqual(7);
    expect(healthy(summarize(scenario.name, scenario.expectDone, [outcome]))).toBe(true);
  });
}
