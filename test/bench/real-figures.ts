// The figures of a real-project bench run, read from its events.jsonl: setup per worktree (first install
// vs cached), finish line, replay, agent end to done, passes (test/bench/real.ts reports them).
import { percentile, readEventsFile, round } from './measure.ts';

type Event = ReturnType<typeof readEventsFile>[number];
/**
 * Worktree environment preparation writes one `setup` event per prepared worktree: `where` (pass,
 * replay, preflight), `result` (`installed`: the setup commands ran; `cached`: a stored install was
 * linked in; `failed`), `duration_ms`. The run's `preflight` event times the check before any pass.
 */
type SetupSample = { ms: number; where: string; ticket: string };
function setupKind(e: Event): 'first' | 'cached' | 'failed' | 'unknown' {
  if (e.result === 'installed') return 'first';
  if (e.result === 'cached') return 'cached';
  if (e.result === 'failed') return 'failed';
  return 'unknown';
}

export const stats = (values: readonly number[]) => ({ n: values.length, p50_ms: round(percentile(values, 50)), p95_ms: round(percentile(values, 95)), max_ms: round(values.length > 0 ? Math.max(...values) : Number.NaN) });
export const median = (values: readonly number[]) => round(percentile(values, 50));

/** The figures the events of one run give: setup, finish line, replay, agent end to done, passes. */
export function realFiguresFromEvents(events: readonly Event[]) {
  const time = (e: Event) => Date.parse(e.ts);
  const id = (e: Event) => `${e.ticket ?? ''}#${String(e.pass)}`;
  const agentEnd = new Map<string, number>();
  const passStart = new Map<string, number>();
  const startToAgentMs: number[] = [];
  const replayStart = new Map<string, number>();
  const finishLineMs: number[] = [];
  const replayMs: number[] = [];
  const replaySetupMs = new Map<string, number>();
  const replayTestMs: number[] = [];
  const agentEndToDoneMs: number[] = [];
  const setup = { first: [] as SetupSample[], cached: [] as SetupSample[], failed: [] as SetupSample[], unknown: [] as SetupSample[], preflight: [] as Array<{ ms: number; result: string }> };
  const outcomes: Record<string, number> = {};
  let passes = 0;
  const done = new Set<string>();
  for (const e of events) {
    if (e.type === 'setup' && typeof e.duration_ms === 'number') {
      setup[setupKind(e)].push({ ms: e.duration_ms, where: String(e.where), ticket: e.ticket ?? '' });
      if (e.where === 'replay') replaySetupMs.set(id(e), e.duration_ms);
    }
    if (e.type === 'preflight' && typeof e.duration_ms === 'number') setup.preflight.push({ ms: e.duration_ms, result: String(e.result) });
    switch (e.type) {
      case 'pass-start': passStart.set(id(e), time(e)); break;
      // whatever a pass does before its agent (worktree, environment): in start order, the first is the cold one
      case 'agent-start': {
        const start = passStart.get(id(e));
        if (start !== undefined && e.rerun === undefined) startToAgentMs.push(time(e) - start);
        break;
      }
      case 'agent-end': agentEnd.set(id(e), time(e)); break;
      // the finish line starts as the agent ends (loop/pass/pass.ts startChecks) and its `verify` event marks its end
      case 'verify': {
        const end = agentEnd.get(id(e));
        if (end !== undefined) finishLineMs.push(time(e) - end);
        break;
      }
      case 'replay-start': replayStart.set(id(e), time(e)); break;
      case 'replay': {
        const start = replayStart.get(id(e));
        if (start !== undefined && e.result !== 'interrupted') {
          replayMs.push(time(e) - start);
          // the replay's worktree is prepared after replay-start: without it, the finish line alone
          replayTestMs.push(time(e) - start - (replaySetupMs.get(id(e)) ?? 0));
        }
        break;
      }
      case 'ticket-done': {
        done.add(e.ticket ?? '');
        const end = agentEnd.get(id(e));
        if (end !== undefined) agentEndToDoneMs.push(time(e) - end);
        break;
      }
      case 'pass-end':
        passes++;
        outcomes[String(e.outcome)] = (outcomes[String(e.outcome)] ?? 0) + 1;
        break;
    }
  }
  return { finishLineMs, replayMs, replayTestMs, agentEndToDoneMs, startToAgentMs, setup, passes, outcomes, doneTickets: done.size };
}

const ms = (samples: readonly SetupSample[]) => samples.map((x) => x.ms);

export function setupFigures(setup: ReturnType<typeof realFiguresFromEvents>['setup']) {
  const all = [...setup.first, ...setup.cached, ...setup.failed, ...setup.unknown];
  if (all.length === 0 && setup.preflight.length === 0) {
    return { events: 0, note: 'the run wrote no setup events (no worktree environment preparation in this build)' };
  }
  const byWhere: Record<string, { first: number; cached: number; failed: number }> = {};
  for (const [kind, samples] of [['first', setup.first], ['cached', setup.cached], ['failed', setup.failed]] as const) {
    for (const x of samples) {
      const counts = byWhere[x.where] ?? { first: 0, cached: 0, failed: 0 };
      counts[kind]++;
      byWhere[x.where] = counts;
    }
  }
  return {
    events: all.length,
    first_install: { ...stats(ms(setup.first)), all_ms: ms(setup.first) },
    cached: stats(ms(setup.cached)),
    failed: setup.failed.length,
    ...(setup.unknown.length > 0 ? { unclassified: stats(ms(setup.unknown)) } : {}),
    by_where: byWhere,
    preflight: setup.preflight.map((p) => ({ ms: p.ms, result: p.result })),
  };
}
