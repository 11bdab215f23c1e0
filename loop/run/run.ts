// The outer loop of DESIGN.md: check the dependency graph, then, while the oracle says not done,
// start a fresh worker per ready ticket (up to --workers) and recompute on every worker end (which
// covers filed tickets and replay results): never on a timer. Stops with the exit code of the outcome.
import { ExitCode } from '../../trackers/errors.ts';
import type { ExitCodeValue } from '../../trackers/errors.ts';
import type { BatchRead, Ticket } from '../../trackers/types.ts';
import { ledgerOf, openBudget, workerCost } from '../schedule/budget.ts';
import type { Budget } from '../schedule/budget.ts';
import type { LoopContext } from '../context.ts';
import { checkGraph, depthsOf, heightsOf, noteNewOutsideBlockers, outsideBlockers } from '../schedule/graph.ts';
import type { OracleAnswer, OracleSession } from '../schedule/oracle-client.ts';
import { describeOutcome, journalPass } from '../pass/outcome.ts';
import { runPass } from '../pass/pass.ts';
import { countStatuses, noteReadySince, pickReady, statusOf, unblockedBy } from '../schedule/scheduler.ts';
import type { SchedulerView } from '../schedule/scheduler.ts';
import { readEvents } from '../../oracle/state-files.ts';
import { passesInHistory } from '../state/state.ts';
import { finishLineFailure, openThrashWatch } from '../schedule/thrash.ts';
import type { TrackerWatch } from '../tracker/watch.ts';
import type { Wake } from '../schedule/wake.ts';
import type { Warm } from '../pass/warm.ts';
import type { SlotKeeper } from '../schedule/keep.ts';

export async function loop(ctx: LoopContext, oracle: OracleSession, warm: Warm, counters: { oracle: number }, agentEnds: Wake, keeper: SlotKeeper, onSpend: (budget: Budget) => void, watch: TrackerWatch): Promise<{ exitCode: ExitCodeValue; reason: string }> {
  const { options, log, tracker } = ctx;
  const history = readEvents(ctx.paths.events);
  const { passesUsed, passNumbers, lastNote } = passesInHistory(history);
  const budget = openBudget(options.budgetUsd, ledgerOf(history, ctx.paths), { dayUsd: options.budgetUsdPerDay, ticketUsd: options.budgetUsdPerTicket });
  onSpend(budget);
  /** Passes a ticket may still get: none once its own budget is spent. */
  const passesCounted = (key: string) => (budget.allowsTicket(key) ? passesUsed.get(key) ?? 0 : options.maxPasses);
  const costSoFar = new Map<string, number>();
  let passEnded = false;
  const thrash = openThrashWatch(history);
  // `running`: every pass in flight; `inAgent`: those not past their worker agent yet. --workers bounds
  // the agents; a ticket's review, merge and replay go on beside the next ticket's agent (at most
  // --workers of those pipelines), so the harness's own time stays off the agents' slots.
  const running = new Map<string, Promise<void>>();
  /** An environment failure (a set-up that fails, a finish line that cannot start): no new pass starts, and the run ends with exit 2. */
  let environmentStop: string | undefined;
  const inAgent = new Set<string>();
  let oracleProblems = 0;

  // Before any worker starts: a graph that can never be finished is a UsageError naming the tickets.
  let read: BatchRead | undefined = await tracker.readBatch(options.batch);
  const outsideDone = await checkGraph(tracker, options.batch, read);
  const outsideKnown = new Set(outsideBlockers(read.tickets));
  log.emit({ type: 'graph', tickets: read.tickets.length, outside_done: [...outsideDone], spent_usd: budget.spentUsd(), blocked_by: Object.fromEntries(read.tickets.map((t) => [t.key, t.blockedBy])) });
  // the graph's chain lengths change only with a new read of the batch, not with every event
  let shape: { tickets: readonly Ticket[]; heights: Map<string, number>; depths: Map<string, number> } | undefined;
  const shapeOf = (batch: BatchRead) => (shape?.tickets === batch.tickets ? shape : shape = { tickets: batch.tickets, heights: heightsOf(batch.tickets), depths: depthsOf(batch.tickets) });
  // While the oracle gives its first answer, the passes likeliest to start first are prepared: the
  // tickets that would be ready were the tracker's done ones all satisfied. One that does not start is
  // given back at the end (at most --workers of them).
  if (budget.allowsNewPass()) {
    warm.offer(pickReady({ ...shapeOf(read), satisfied: new Set([...outsideDone, ...read.tickets.filter((t) => t.state === 'done').map((t) => t.key)]), running: new Set(), passesUsed: passesCounted, maxPasses: options.maxPasses }, options.workers), () => true, options.workers);
  }

  const ask = async (): Promise<OracleAnswer> => {
    // an answer given while someone else had written the tickets file is no answer: ask again
    for (let tries = 1; ; tries++) {
      await ctx.foreignWrites?.check('before the oracle', [...running.keys()]);
      counters.oracle++;
      const answer = await oracle.ask();
      const during = (await ctx.foreignWrites?.check('after the oracle', [...running.keys()]))?.ticketsFile === true;
      log.emit({ type: 'oracle', exit_code: answer.exitCode, verdict: answer.verdict, satisfied: answer.tickets.filter((t) => t.satisfied).length, total: answer.tickets.length, ...(answer.problem ? { problem: answer.problem } : {}), ...(during ? { discarded: 'the tickets file was written outside the loop during the call' } : {}) });
      if (!during) return answer;
      if (tries >= 3) return { verdict: 'cannot-tell', exit_code: 2, tickets: [], problem: 'the tickets file kept being written outside the loop during oracle calls', exitCode: 2 };
    }
  };

  // The oracle is the only judge of done and of which blockers count. It is asked whenever its answer
  // can change what the loop does: at the start, after a landing that something waits on, and before
  // the loop would stop. A landing nothing waits on only "settles" until the oracle's next answer.
  let answer: OracleAnswer | undefined;
  const settling = new Set<string>();
  const readySince = new Map<string, number>();
  /** A question to the oracle under way: the landings it can see, and its outcome once it is done. */
  type InFlight = { settled: string[]; done: boolean; outcome: { answer: OracleAnswer } | { error: unknown } | undefined; promise: Promise<void> };
  let inFlight: InFlight | undefined;
  const plan = (current: OracleAnswer, batch: BatchRead) => {
    const view: SchedulerView = {
      tickets: batch.tickets,
      satisfied: new Set([...outsideDone, ...current.tickets.filter((t) => t.satisfied).map((t) => t.key)]),
      running: new Set(running.keys()),
      passesUsed: passesCounted,
      maxPasses: options.maxPasses,
      heights: shapeOf(batch).heights,
      depths: shapeOf(batch).depths,
      settling,
      readySince,
    };
    noteReadySince(view, readySince, Date.now());
    keeper.update(view, new Set([...[...running.keys()].filter((key) => !inAgent.has(key)), ...settling]), inAgent, Date.now());
    const budgetLeft = budget.allowsNewPass();
    const free = Math.min(options.workers - inAgent.size - keeper.size(), 2 * options.workers - running.size);
    return { view, budgetLeft, picked: budgetLeft ? pickReady(view, free) : [] };
  };

  for (;;) {
    if (ctx.signal.aborted) {
      await Promise.allSettled([...running.values(), ...(inFlight ? [inFlight.promise] : [])]);
      return { exitCode: ExitCode.notDone, reason: 'interrupted' };
    }
    if (environmentStop !== undefined) {
      // the passes under way end on their own merits; nothing new starts on a broken environment
      await Promise.allSettled([...running.values(), ...(inFlight ? [inFlight.promise] : [])]);
      return { exitCode: ExitCode.usage, reason: `stopped: an environment failure no agent could cause (no pass charged for it): ${environmentStop}\nWhat to do: fix the set-up or install what the finish line needs (--setup CMD, or "setup" in nightshift.config.json), then run again.` };
    }
    for (const key of agentEnds.drain()) {
      inAgent.delete(key);
      keeper.freed(key, Date.now());
      // the worker's cost counts from its agent's end, before the pass's review and landing finish
      const early = workerCost(ctx.paths, key, passNumbers.get(key) ?? 0);
      budget.add(early, key);
      costSoFar.set(key, early);
      onSpend(budget);
    }
    // A landing something waits on: ask the oracle in the background (the free slots meanwhile go to
    // tickets the last answer already allows, and the answer wakes the loop for the unblocked ones). It is
    // asked before the batch is read again, on the last read's blockers, so the two go on side by side.
    // Each question is a full read of the batch (the oracle's definition): on a remote tracker, whose
    // reads are priced, a landing waits for a later question while the last answer still fills every
    // free slot. The local tickets file costs nothing to read, and a chain's next ticket waiting for that
    // later question cost the 200-ticket bench its pickup (p95 77 s) and makespan (ratio 2.37), so there
    // every landing something waits on is asked about at once.
    const askIfWaitedOn = (batch: BatchRead) => {
      if (inFlight || settling.size === 0) return;
      const waitedOn = new Set(batch.tickets.flatMap((t) => t.blockedBy));
      if (![...settling].some((key) => waitedOn.has(key))) return;
      if (options.tracker !== 'local' && answer && answer.exitCode !== 2) {
        const free = Math.max(0, Math.min(options.workers - inAgent.size - keeper.size(), 2 * options.workers - running.size));
        const need = free + options.workers;
        if (pickReady(plan(answer, batch).view, need).length >= need) return;
      }
      inFlight = startAsk();
    };
    if (read) askIfWaitedOn(read);
    // the batch is read again after a pass ended (a landing, a filed ticket, a person's edit meanwhile);
    // a wake-up for an agent's end only frees its slot, so the last read still holds
    if (watch.takeChanged()) passEnded = true;
    if (!read || passEnded) read = await tracker.readBatch(options.batch);
    passEnded = false;
    // a person may add blockers while the batch runs: the new outside ones are read once
    await noteNewOutsideBlockers(tracker, options.batch, read, outsideKnown, outsideDone);
    if (inFlight?.done) answer = adopt(inFlight);
    askIfWaitedOn(read);
    let step = answer && answer.exitCode !== 2 ? plan(answer, read) : undefined;
    let asked = false;
    if (!step || (step.picked.length === 0 && running.size === 0)) {
      asked = true;
      // no verdict to plan on, or about to stop: wait for an answer that saw every landing so far
      if (!inFlight) inFlight = startAsk();
      answer = await settle(inFlight);
      if (settling.size > 0 && running.size === 0) answer = await settle(inFlight = startAsk());
      if (answer.exitCode === 0 && running.size === 0) {
        const gated = answer.tickets.filter((t) => t.via === 'human-gated').length;
        return gated > 0
          ? { exitCode: ExitCode.needsHuman, reason: `${gated} ticket(s) need a human` }
          : { exitCode: ExitCode.done, reason: 'the oracle says done' };
      }
      if (answer.exitCode === 2) {
        // the oracle cannot tell: start nothing new on a verdict nobody has
        oracleProblems++;
        read = undefined;
        if (running.size > 0) {
          await nextEvent();
          continue;
        }
        if (oracleProblems >= 3) return { exitCode: ExitCode.usage, reason: `the oracle cannot tell: ${answer.problem ?? 'unknown'}` };
        await new Promise((resolve) => setTimeout(resolve, 1_000 * 2 ** oracleProblems));
        continue;
      }
      oracleProblems = 0;
      step = plan(answer, read);
    }
    const { view, budgetLeft, picked } = step;
    const limits = tracker.rateLimit?.();
    if (asked || picked.length > 0) log.emit({ type: 'schedule', counts: countStatuses(view), started: picked.map((t) => t.key), ...(keeper.size() > 0 ? { kept_for: [...keeper.kept().keys()] } : {}), spent_usd: budget.spentUsd(), ...(limits ? { tracker_budget: limits } : {}) });
    for (const ticket of picked) {
      const pass = (passNumbers.get(ticket.key) ?? 0) + 1;
      passNumbers.set(ticket.key, pass);
      passesUsed.set(ticket.key, (passesUsed.get(ticket.key) ?? 0) + 1);
      inAgent.add(ticket.key);
      keeper.started(ticket.key, Date.now());
      const task = work(ticket, pass).finally(() => {
        passEnded = true;
        running.delete(ticket.key);
        inAgent.delete(ticket.key);
      });
      running.set(ticket.key, task);
    }
    // the passes that start next are prepared meanwhile, so their slots start their agents at once: the
    // dependents of landings whose replay passed (their worktrees then hold the landed work), and, with
    // every slot busy, the next ready tickets
    if (budgetLeft) {
      const landed = unblockedBy(view, settling);
      warm.offer(landed, (key) => landed.some((t) => t.key === key), options.workers);
      if (inAgent.size + keeper.size() >= options.workers) {
        const byKey = new Map(view.tickets.map((t) => [t.key, t]));
        const isReady = (key: string) => {
          const ticket = byKey.get(key);
          return ticket !== undefined && !running.has(key) && statusOf(ticket, view) === 'ready';
        };
        warm.offer(pickReady(view, picked.length + options.workers).filter((t) => !running.has(t.key)), isReady, options.workers);
      }
    }
    if (running.size === 0) {
      if (!budgetLeft) return { exitCode: ExitCode.budgetSpent, reason: `the budget is spent (${budget.describe()}): no new pass starts` };
      const counts = countStatuses(view);
      const capped = view.tickets.filter((t) => !view.satisfied.has(t.key) && !budget.allowsTicket(t.key) && (passesUsed.get(t.key) ?? 0) < options.maxPasses).map((t) => t.key);
      if (capped.length > 0) return { exitCode: ExitCode.budgetSpent, reason: `the budget of ${capped.join(', ')} is spent (${budget.describe()}): no new pass starts for ${capped.length === 1 ? 'it' : 'them'}` };
      return { exitCode: ExitCode.notDone, reason: `stopped short of done: nothing is ready and nothing runs (${counts.exhausted} out of passes, ${counts.blocked} blocked, ${counts.canceled} canceled)` };
    }
    await nextEvent();
  }

  /** Waits for a pass to end, an agent to finish (its slot is free again) or the oracle to answer. */
  async function nextEvent(): Promise<void> {
    const ended = agentEnds.next();
    const changed = watch.next();
    await Promise.race([...running.values(), ended.promise, changed.promise, ...(inFlight ? [inFlight.promise] : [])]);
    ended.cancel();
    changed.cancel();
  }

  /** Asks the oracle; only the landings made before the question settle with its answer. */
  function startAsk(): InFlight {
    const question: InFlight = { settled: [...settling], done: false, outcome: undefined, promise: Promise.resolve() };
    question.promise = ask().then(
      (a) => { question.outcome = { answer: a }; },
      (error: unknown) => { question.outcome = { error }; },
    ).finally(() => { question.done = true; });
    return question;
  }

  /** Takes an answer that has come in: its landings settle (one that ended while it ran waits for the next). */
  function adopt(question: InFlight): OracleAnswer {
    if (inFlight === question) inFlight = undefined;
    const outcome = question.outcome;
    if (!outcome) throw new Error('the oracle\'s answer was taken before it came');
    if ('error' in outcome) throw outcome.error;
    for (const key of question.settled) settling.delete(key);
    return outcome.answer;
  }

  async function settle(question: InFlight): Promise<OracleAnswer> {
    await question.promise;
    return adopt(question);
  }

  async function work(ticket: Ticket, pass: number): Promise<void> {
    log.emit({ type: 'pass-start', ticket: ticket.key, pass, of: options.maxPasses });
    try {
      // the move to in progress is bookkeeping for people: the pass need not wait for it
      const moving = ticket.state === 'todo'
        ? tracker.moveTicket(ticket.key, 'in_progress').catch((error: unknown) => log.emit({ type: 'tracker-error', ticket: ticket.key, pass, problem: (error as Error).message }))
        : undefined;
      const rootCause = thrash.rootCauseNote(ticket.key);
      if (rootCause) log.emit({ type: 'thrash', ticket: ticket.key, pass, streak: thrash.streak(ticket.key) });
      const notes = [rootCause, lastNote.get(ticket.key) ?? ''].filter((n) => n !== '').join('\n\n');
      watch.stopFor(ticket.key, ticket.state);
      const result = await runPass(ctx, ticket, pass, notes, warm.take(ticket.key)).finally(() => watch.ended(ticket.key));
      await moving;
      await ctx.foreignWrites?.check('at the end of a pass', [ticket.key]);
      budget.add(result.costUsd - (costSoFar.get(ticket.key) ?? 0), ticket.key);
      costSoFar.delete(ticket.key);
      onSpend(budget);
      if (result.outcome.kind === 'landed' || result.outcome.kind === 'gated') settling.add(ticket.key);
      const reason = describeOutcome(result.outcome);
      if (result.outcome.kind === 'setup-failed' || result.outcome.kind === 'environment-failed') environmentStop ??= `${ticket.key}: ${reason}`;
      const failure = finishLineFailure(result.outcome);
      thrash.record(ticket.key, failure);
      lastNote.set(ticket.key, reason);
      journalPass(ctx, ticket.key, pass, result.outcome);
      log.emit({
        type: 'pass-end', ticket: ticket.key, pass, outcome: result.outcome.kind, reason, cost_usd: result.costUsd,
        ...(failure ? { finish_line_command: failure.command, finish_line_output: failure.output.slice(-2_000) } : {}),
      });
    } catch (error) {
      const reason = `internal error: ${(error as Error).stack ?? String(error)}`;
      thrash.record(ticket.key, undefined);
      costSoFar.delete(ticket.key);
      lastNote.set(ticket.key, reason);
      log.emit({ type: 'pass-end', ticket: ticket.key, pass, outcome: 'internal-error', reason });
    }
  }
}
