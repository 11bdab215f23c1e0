// The tripwire's loop check is drawn from a seed: the same seed gives the same check (so a verdict can be
// replayed with --seed), different seeds give different batches, keys, worker kinds and paths, and every
// draw keeps the check's promises (3 to 6 tickets, every scripted worker kind at least once, a batch
// argument that names exactly the drawn tickets, the tickets file beside no repo).
import { dirname } from 'node:path';
import { expect, test } from 'vitest';
import { drawLoopCheck } from '../../heal/tripwire-loop.ts';
import { parseBatch } from '../../trackers/batch.ts';

const SEEDS = Array.from({ length: 300 }, (_, i) => (i * 2_654_435_761) >>> 0);

test('the same seed draws the same loop check', () => {
  for (const seed of [0, 1, 42, 4_294_967_295, ...SEEDS.slice(0, 20)]) expect(drawLoopCheck(seed)).toEqual(drawLoopCheck(seed));
});

test('every draw keeps the loop check\'s promises', () => {
  for (const seed of SEEDS) {
    const draw = drawLoopCheck(seed);
    expect(draw.seed).toBe(seed);
    expect(draw.tickets.length).toBeGreaterThanOrEqual(3);
    expect(draw.tickets.length).toBeLessThanOrEqual(6);
    expect(draw.prefix).toMatch(/^[A-Z]{2,5}$/);
    expect(draw.prefix).not.toBe('LOOP');
    expect(new Set(draw.tickets.map((t) => t.kind))).toEqual(new Set(['idle', 'liar', 'dirty']));
    expect(parseBatch(draw.batch).keys).toEqual(draw.tickets.map((t) => t.key));
    expect(dirname(draw.ticketsFile)).not.toBe(draw.repo);
    expect(draw.ticketsFile.startsWith(`${draw.repo}/`)).toBe(false);
    for (const path of [draw.home, draw.repo, draw.ticketsFile, draw.tmp, draw.agents, draw.state ?? 'x']) {
      expect(path.startsWith('/')).toBe(false);
      expect(path.split('/')).not.toContain('..');
    }
    expect([...draw.flags].sort()).toEqual(['agent', 'max-passes', 'repo', 'review', 'state', 'tickets', 'tracker', 'worker-minutes', 'workers']);
  }
});

test('draws vary across seeds: sizes, prefixes, numbers, gaps, kinds, places', () => {
  const draws = SEEDS.map(drawLoopCheck);
  const distinct = <T>(f: (d: (typeof draws)[number]) => T) => new Set(draws.map(f)).size;
  expect(distinct((d) => d.tickets.length)).toBe(4);
  expect(distinct((d) => d.prefix.length)).toBe(4);
  expect(distinct((d) => d.prefix)).toBeGreaterThan(250);
  expect(distinct((d) => d.batch)).toBeGreaterThan(290);
  expect(distinct((d) => d.tickets.map((t) => t.kind).join())).toBeGreaterThan(20);
  expect(distinct((d) => d.repo)).toBeGreaterThan(50);
  expect(distinct((d) => d.ticketsFile)).toBeGreaterThan(50);
  expect(distinct((d) => d.flags.join())).toBeGreaterThan(250);
  // numbers start anywhere, some batches have gaps (a comma list) and some are one range
  expect(draws.some((d) => Number(d.tickets[0]!.key.split('-')[1]) >= 1000)).toBe(true);
  expect(draws.some((d) => Number(d.tickets[0]!.key.split('-')[1]) < 10)).toBe(true);
  expect(draws.some((d) => d.batch.includes(','))).toBe(true);
  expect(draws.some((d) => !d.batch.includes(','))).toBe(true);
  // the repo: a project under a fake HOME (~/src/app-style), a path with spaces, a place outside HOME
  expect(draws.some((d) => d.repo.startsWith(`${d.home}/src/`))).toBe(true);
  expect(draws.some((d) => d.repo.includes(' '))).toBe(true);
  expect(draws.some((d) => !d.repo.startsWith(`${d.home}/`))).toBe(true);
  expect(draws.some((d) => d.state === undefined)).toBe(true);
  // the first tickets are not always the same kind (a loop cannot learn "the first ticket is idle")
  expect(distinct((d) => d.tickets[0]!.kind)).toBe(3);
});
