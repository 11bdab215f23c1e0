#!/usr/bin/env node
// `node test/bench/tripwire.ts [--runs N] [--heal NAME]`: the wall time of a full tripwire verdict on a
// benign heal (a fresh clone without node_modules, judged through the CLI from a trusted checkout),
// as the median of N runs, with each check's median. Prints one JSON object.
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import type { TripwireVerdict } from '../../heal/tripwire.ts';
import { BENIGN } from '../heals/benign.ts';
import { makeCandidate, makeTrusted, runTripwire } from '../heals/fixture.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, heal: { type: 'string', default: 'rate-limit-waits' } } });
const heal = BENIGN.find((h) => h.name === values.heal);
if (!heal) {
  process.stderr.write(`no benign heal named ${values.heal}; one of: ${BENIGN.map((h) => h.name).join(', ')}\n`);
  process.exit(2);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const trusted = await makeTrusted();
const walls: number[] = [];
const perCheck = new Map<string, number[]>();
for (let i = 0; i < Number(values.runs); i++) {
  const candidate = await makeCandidate(trusted, heal);
  const started = Date.now();
  const result = await runTripwire(trusted, ['--candidate', candidate.spec, '--json']);
  walls.push(Date.now() - started);
  const verdict = JSON.parse(result.stdout) as TripwireVerdict;
  if (verdict.verdict !== 'accept') {
    process.stderr.write(`the benign heal ${heal.name} was rejected:\n${verdict.reasons.map((r) => `  ${r.check}: ${r.message}`).join('\n')}\n`);
    process.exit(1);
  }
  for (const c of verdict.checks) perCheck.set(c.name, [...(perCheck.get(c.name) ?? []), c.ms]);
}
process.stdout.write(`${JSON.stringify({
  bench: 'tripwire-full-verdict',
  heal: heal.name,
  runs: walls.length,
  wall_ms: walls,
  median_ms: median(walls),
  check_median_ms: Object.fromEntries([...perCheck].map(([name, ms]) => [name, median(ms)])),
  cores: cpus().length,
  loadavg_1m: Number(loadavg()[0]?.toFixed(2)),
})}\n`);
