// A run from options to its exit code: the tracker, git, agents, state dir, lock, guards and context are
// opened, the batch's finish lines checked once (preflight), the outer loop (run.ts) run, and the end
// recorded (run-end, notifications, CPU per kind of command).
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, FatalError, UsageError } from '../../trackers/errors.ts';
import type { ExitCodeValue } from '../../trackers/errors.ts';
import { openTracker } from '../../trackers/open.ts';
import { openAgent } from '../agents/open.ts';
import { openSandbox } from '../sandbox/open.ts';
import type { Budget } from '../schedule/budget.ts';
import { openNotifier } from '../notify/notify.ts';
import type { Notifier } from '../notify/notify.ts';
import { budgetNotices, healNotices, noticeOfEvent, runEnded, toldBefore } from '../notify/notices.ts';
import type { LoopContext } from '../context.ts';
import { onStaleGitLock, openGit } from '../git/git.ts';
import { spawnHelperCpu } from '../process/subprocess.ts';
import type { ProcessCpu } from '../process/subprocess.ts';
import { openOracleSession } from '../schedule/oracle-client.ts';
import type { RunOptions } from '../../oracle/run-options.ts';
import { LOOP_MARKER, acquireRunLock, removeStaleWorktrees } from '../state/run-lock.ts';
import { defaultStateDir, readEvents } from '../../oracle/state-files.ts';
import { openEventLog, statePaths } from '../state/state.ts';
import type { LoopEvent } from '../state/state.ts';
import { countTrackerCalls } from '../schedule/tracker-calls.ts';
import { openWake } from '../schedule/wake.ts';
import { DEFAULT_OVERLAP_MS, DEFAULT_RECONCILE_MS, openSnapshot } from '../tracker/snapshot.ts';
import { DEFAULT_POLL_MS, openTrackerWatch } from '../tracker/watch.ts';
import { openTargetGuard } from '../guards/target-guard.ts';
import { openForeignWrites } from '../guards/foreign-writes.ts';
import type { ForeignWrites } from '../guards/foreign-writes.ts';
import { openEnvironment } from '../worktree/environment.ts';
import { runPreflight } from './preflight.ts';
import { openWarm } from '../pass/warm.ts';
import { openWorktreePool } from '../worktree/worktree-pool.ts';
import { openMergeLock } from '../land/merge-lock.ts';
import { landUpstream, reconcileUpstream, redact, remoteUrl } from '../land/push.ts';
import { openForge } from '../forge/forge.ts';
import { followUpstream } from '../land/pr.ts';
import { openSlotKeeper } from '../schedule/keep.ts';
import { loop } from './run.ts';
import { openQueueExecutor } from '../queue/remote-agent.ts';
import type { QueueExecutor } from '../queue/remote-agent.ts';

export type RunDeps = {
  env: NodeJS.ProcessEnv;
  onEvent: (event: LoopEvent & { ts: string; run: string }) => void;
  signal?: AbortSignal;
};

/** How long the end of a run waits for its notifications to be delivered (or given up) before the process exits. */
const NOTIFY_DRAIN_MS = 10_000;

export type RunSummary = { exitCode: ExitCodeValue; reason: string; stateDir: string; run: string };

export async function runBatch(options: RunOptions, deps: RunDeps): Promise<RunSummary> {
  const stateDir = options.state ?? defaultStateDir(options.repo, options.batch.label, deps.env);
  const paths = statePaths(stateDir);
  const run = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomUUID().slice(0, 6)}`;
  // bubblewrap missing is exit 2 before anything starts; --sandbox off is a warning in every view
  const sandbox = await openSandbox(options, deps.env);
  const opened = await openTracker({ kind: options.tracker, tickets: options.tickets }, deps.env);
  const localAgent = sandbox.wrap(openAgent(options.agent, options.cwd));
  const reviewers = options.review.map((spec) => sandbox.wrap(openAgent(spec, options.cwd)));
  const repo = openGit(options.repo);
  // `--land push|pr` without a remote to push to is refused before anything starts
  const upstream = await landUpstream(options, repo);
  // `--land pr`: GITHUB_TOKEN and the GitHub repository are known before anything starts (else exit 2)
  const pulls = options.land === 'pr' && upstream
    ? { api: openForge(deps.env, await remoteUrl(repo, upstream.remote)), pollMs: envMs(deps.env, 'NIGHTSHIFT_PR_POLL_MS', 15_000), checksTimeoutMs: envMs(deps.env, 'NIGHTSHIFT_CHECKS_TIMEOUT_MS', 60 * 60_000) }
    : undefined;
  const controller = new AbortController();
  const lock = await acquireRunLock(paths, () => controller.abort());
  const agentEnds = openWake();
  /** Passes (`KEY#pass`) whose agent slot was freed before their `agent-end` (ctx.agentExited): that event frees nothing more. */
  const exitedEarly = new Set<string>();
  let foreign: ForeignWrites | undefined;
  const noticeCtx = { batch: options.batch.spec, run, stateDir, env: deps.env };
  // a webhook is told in the background: the loop never waits for one, except at its end (bounded)
  const notifier: Notifier = openNotifier(options.notify, { emit: (event) => log.emit(event) });
  const log = openEventLog(paths.events, run, [(event) => foreign?.sawEvent(event), deps.onEvent, (event) => {
    if (event.type === 'agent-end' && event.ticket && !exitedEarly.delete(`${event.ticket}#${String(event.pass)}`)) agentEnds.notify(event.ticket);
    const notice = options.notify.length > 0 ? noticeOfEvent(noticeCtx, event) : undefined;
    if (notice) notifier.send(notice);
  }]);
  deps.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const env = { ...deps.env, [LOOP_MARKER]: stateDir };
  // the oracle process starts now: its start-up (about a quarter of a second) goes on beside the loop's
  const oracle = openOracleSession({ batch: options.batch.spec, tracker: options.tracker, tickets: options.tickets, repo: options.repo, targetBranch: options.targetBranch }, join(stateDir, 'oracle.last.json'), env);
  oracle.start();
  /** A step of the set-up below: if it fails, the oracle process goes too. */
  const step = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      await oracle.close();
      throw error;
    }
  };
  // --executor queue: worker agents run in `nightshift worker`s (loop/queue), everything else here
  const executor: QueueExecutor | undefined = options.executor === 'queue' && options.queue ? await step(() => openQueueExecutor(options.queue ?? '', { repo, repoDir: options.repo, stateDir, log, setup: options.setup, pickupMs: envMs(deps.env, 'NIGHTSHIFT_QUEUE_PICKUP_MS', 10 * 60_000) })) : undefined;
  const agent = executor ? executor.wrap(localAgent) : localAgent;
  const staleWorktrees = await step(() => removeStaleWorktrees(repo, paths));
  // a lock file a killed git left in the repo is removed once stale, and the operator told
  onStaleGitLock((path, ageMs) => log.emit({ type: 'stale-git-lock', path, age_ms: ageMs }));
  const targetGuard = await step(() => openTargetGuard(repo, options.targetBranch, log));
  // from here the tickets file and the loop's state files are the loop's until it ends
  foreign = await step(() => openForeignWrites({ run, options, paths, env: deps.env, log }, opened));
  // the loop's reads of its batch come from one snapshot kept current by delta reads (loop/tracker/snapshot.ts)
  const snapshot = openSnapshot(foreign.tracker, options.batch, { reconcileMs: envMs(deps.env, 'NIGHTSHIFT_TRACKER_RECONCILE_MS', DEFAULT_RECONCILE_MS), overlapMs: envMs(deps.env, 'NIGHTSHIFT_TRACKER_OVERLAP_MS', DEFAULT_OVERLAP_MS) });
  const counted = countTrackerCalls(snapshot.tracker);
  // a person's change is seen within one interval: a running ticket canceled or done stops its pass
  const watch = openTrackerWatch({
    snapshot,
    // only a tracker with delta reads is watched: for the others each poll would be a full read
    intervalMs: foreign.tracker.changedSince ? envMs(deps.env, 'NIGHTSHIFT_TRACKER_POLL_MS', DEFAULT_POLL_MS) : 0,
    onError: (problem) => log.emit({ type: 'tracker-error', problem: `watching the batch: ${problem}` }),
    onStop: (key, reason) => log.emit({ type: 'canceled-by-tracker', ticket: key, reason }),
    rateLimit: () => foreign?.tracker.rateLimit?.(),
    share: envShare(deps.env),
  });
  const mergeLock = openMergeLock();
  const worktrees = openWorktreePool({ repo, dir: join(stateDir, 'worktrees') });
  const environment = await step(() => openEnvironment({ repo, rev: targetGuard.rev(), setup: options.setup, env, log, timeoutMs: options.workerMinutes * 60_000 }));
  const ctx: LoopContext = {
    options, tracker: counted.tracker, repo, paths, log, run, agent, reviewers, signal: controller.signal, targetGuard, foreignWrites: foreign, worktrees, environment,
    // every process the loop starts carries the state dir, so a later loop can reap it after a crash
    env,
    withMergeLock: mergeLock.withLock,
    readBesideMerges: mergeLock.readBeside,
    trackerStop: (key) => watch.signalOf(key),
    agentExited: (key, pass) => {
      exitedEarly.add(`${key}#${pass}`);
      agentEnds.notify(key);
    },
    sandboxConfinesRepo: sandbox.confinesRepo,
    ...(upstream ? { upstream } : {}),
    ...(pulls ? { pulls } : {}),
  };
  writeFileSync(join(stateDir, 'run.json'), `${JSON.stringify({ run, pid: process.pid, batch: options.batch.spec, label: options.batch.label, tracker: options.tracker, tickets: options.tickets, repo: options.repo, targetBranch: options.targetBranch, agent: options.agent, review: options.review, workers: options.workers, maxPasses: options.maxPasses, budgetUsd: options.budgetUsd, budgetUsdPerDay: options.budgetUsdPerDay, budgetUsdPerTicket: options.budgetUsdPerTicket, land: options.land, ...(upstream ? { upstream: `${upstream.remote}/${upstream.branch}` } : {}), ...(pulls ? { forge: pulls.api.repository } : {}), ...(options.deploy ? { deploy: options.deploy } : {}), replayWindowMinutes: options.replayWindowMinutes, started: new Date().toISOString() }, null, 2)}\n`);
  foreign.owns(join(stateDir, 'run.json'));
  log.emit({ type: 'run-start', batch: options.batch.spec, label: options.batch.label, workers: options.workers, agent: agent.spec, reviewers: reviewers.map((r) => r.spec), state: stateDir, reaped: lock.reaped, stale_worktrees: staleWorktrees, sandbox: sandbox.event });
  if (options.sandbox === 'off') log.emit({ type: 'sandbox-off', detail: sandbox.event.detail });
  // heals are judged between loop processes: this loop tells of those no earlier one did
  if (options.notify.length > 0) for (const notice of healNotices(noticeCtx, readEvents(paths.events))) notifier.send(notice);
  const counters = { oracle: 0 };
  const warned = toldBefore(readEvents(paths.events));
  // a cap at 80% is an event once (per day for the day's cap), and a notice where webhooks are set
  const onSpend = (budget: Budget) => {
    for (const notice of budgetNotices(noticeCtx, budget.uses(), warned, new Date().toISOString().slice(0, 10))) {
      log.emit({ type: 'budget-warning', about: notice.about, scope: notice.facts.scope ?? null, spent_usd: notice.facts.spent_usd ?? null, limit_usd: notice.facts.limit_usd ?? null });
      if (options.notify.length > 0) notifier.send(notice);
    }
  };
  // a slot freed while a landing is under way may be kept for the ticket it will unblock (loop/schedule/keep.ts)
  const keeper = openSlotKeeper(options.workers, Date.now());
  const totals = () => ({ tracker_calls: counted.calls(), tracker_requests: counted.tracker.requestCount(), oracle_calls: counters.oracle, kept_slot_ms: Math.round(keeper.spentMs(Date.now())) });
  const warm = openWarm(ctx);
  try {
    // a merge or revert made before a crash but not pushed ships now; an upstream ahead is fetched
    // (`--land pr`: the local target only follows the remote; what it has beyond it was never landed)
    if (upstream && pulls) {
      await ctx.withMergeLock(() => followUpstream(ctx, upstream)).catch((error: unknown) => {
        throw new FatalError('upstream-unreachable', `--land pr: ${upstream.remote}/${upstream.branch} cannot be fetched: ${redact((error as Error).message)}\nCheck the remote (git fetch ${upstream.remote}) and start again; nothing was merged.`, ExitCode.notDone);
      });
    } else if (upstream) await ctx.withMergeLock(() => reconcileUpstream(ctx, upstream));
    // before any agent starts: the batch's finish lines once on the target head, in a prepared worktree
    if (options.preflight) await runPreflight(ctx, (await ctx.tracker.readBatch(options.batch)).tickets);
    const summary = await loop(ctx, oracle, warm, counters, agentEnds, keeper, onSpend, watch);
    log.emit({ type: 'run-end', exit_code: summary.exitCode, reason: summary.reason, ...totals(), ...await processCpu() });
    if (options.notify.length > 0) notifier.send(runEnded(noticeCtx, summary.exitCode, summary.reason));
    await notifier.drain(NOTIFY_DRAIN_MS);
    return { ...summary, stateDir, run };
  } catch (error) {
    if (error instanceof FatalError) {
      log.emit({ type: 'run-end', exit_code: error.exitCode, reason: error.message, ...totals(), ...await processCpu() });
      if (options.notify.length > 0) notifier.send(runEnded(noticeCtx, error.exitCode, error.message));
    }
    await notifier.drain(NOTIFY_DRAIN_MS);
    throw error;
  } finally {
    watch.close();
    controller.abort();
    await oracle.close();
    await warm.close();
    await worktrees.close();
    await executor?.close();
    await lock.release().catch(() => undefined);
  }
}

/** The commands the spawn helper ran this run, per kind, with their CPU (`process_cpu` of run-end). */
async function processCpu(): Promise<{ process_cpu?: ProcessCpu }> {
  const cpu = await spawnHelperCpu().catch(() => undefined);
  return cpu ? { process_cpu: cpu } : {};
}

/** A duration from the environment, in ms (a test or the bench may scale the field's timers down). */
function envMs(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new UsageError('bad-env', `${name} must be a number of milliseconds (0 or more), not "${text}". Unset it for the default (${fallback}).`);
  return value;
}

/** NIGHTSHIFT_TRACKER_SHARE: the share of the tracker's hourly budget the loop's timer reads may spend (default 0.5). */
function envShare(env: NodeJS.ProcessEnv): number {
  const text = env.NIGHTSHIFT_TRACKER_SHARE;
  if (text === undefined || text === '') return 0.5;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > 1) throw new UsageError('bad-env', `NIGHTSHIFT_TRACKER_SHARE must be a share of the tracker's budget above 0 and at most 1, not "${text}". Unset it for the default (0.5).`);
  return value;
}
