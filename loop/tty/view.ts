// Plain event lines for a terminal that is not a TTY (CI, nohup, a pipe) and for the run's log:
// one timestamped line per event, every event, greppable by ticket key.
import { briefReason, shortSpec } from '../report/format.ts';
import type { LoopEvent } from '../state/state.ts';
import type { RateLimitState } from '../../trackers/types.ts';
import { describeBudget } from '../tracker/watch.ts';

type Stamped = LoopEvent & { ts: string };

export function formatEvent(event: Stamped): string {
  const time = event.ts.slice(11, 19);
  const who = event.ticket ? `${event.ticket} ` : '';
  return `${time} ${who}${describe(event)}`;
}

function firstLine(value: unknown): string {
  return String(value ?? '').split('\n')[0]?.slice(0, 160) ?? '';
}

const spec = (value: unknown): string => shortSpec(String(value ?? '?'));

function describe(e: Stamped): string {
  switch (e.type) {
    case 'run-start': return `run started: batch ${String(e.batch)}, ${String(e.workers)} worker(s), agent ${spec(e.agent)}, state ${String(e.state)}`;
    case 'oracle': return `oracle: ${String(e.verdict)} (${String(e.satisfied)}/${String(e.total)} satisfied)${e.problem ? ` - ${firstLine(e.problem)}` : ''}`;
    case 'schedule': return describeSchedule(e);
    case 'pass-start': return `pass ${String(e.pass)}/${String(e.of)} started`;
    case 'agent-start': return `agent ${spec(e.agent)} started`;
    case 'agent-end': return `agent ${String(e.outcome)}${e.exit_code !== undefined ? ` (exit ${String(e.exit_code)})` : ''} after ${Math.round(Number(e.duration_ms) / 100) / 10}s`;
    case 'verify': return `finish line ${String(e.result)}${e.command ? ` at \`${String(e.command)}\`` : ''}`;
    case 'review-start': return `review by ${spec(e.reviewer)} started${Number(e.attempt) > 1 ? ` (try ${String(e.attempt)})` : ''}`;
    case 'review': return `review by ${spec(e.reviewer)}: ${String(e.verdict)}${Array.isArray(e.findings) && e.findings.length > 0 ? ` (${e.findings.length} finding(s))` : ''}`;
    case 'review-invalid': return `review by ${spec(e.reviewer)} invalid (try ${String(e.attempt)}): ${firstLine(e.problem)}`;
    case 'merged': return `merged into target as ${String(e.commit).slice(0, 12)}`;
    case 'pushed': return `pushed ${String(e.what)} ${String(e.commit).slice(0, 12)} to ${String(e.remote)}/${String(e.branch)}`;
    case 'push-rejected': return `push of ${String(e.what)} to ${String(e.remote)}/${String(e.branch)} rejected (try ${String(e.attempt)}): ${firstLine(e.message)}`;
    case 'merge-found': return `already merged as ${String(e.commit).slice(0, 12)} (resuming)`;
    case 'pr-opened': return `pull request ${String(e.url)} ${e.updated ? 'updated' : 'opened'}`;
    case 'checks-waiting': return `waiting for the required checks ${Array.isArray(e.checks) ? e.checks.join(', ') : ''} on ${String(e.commit).slice(0, 12)}`;
    case 'checks': return `required checks ${String(e.result)}${e.check ? ` at ${String(e.check)}` : ''}`;
    case 'queued': return `pull request ${String(e.url)} in GitHub's merge queue${e.state ? ` (${String(e.state).toLowerCase().replace(/_/g, ' ')})` : ''}`;
    case 'review-waiting': return `waiting for a person's approving review of ${String(e.url)} (${String(e.approvals)} so far)`;
    case 'pr-merged': return `pull request ${String(e.url)} merged as ${String(e.commit).slice(0, 12)}`;
    case 'pr-refused': return `GitHub refused the merge of #${String(e.pull)} (try ${String(e.attempt)}): ${firstLine(e.message)}`;
    case 'target-fetched': return `target follows ${String(e.remote)}/${String(e.branch)} at ${String(e.commit).slice(0, 12)}`;
    case 'merge-conflict': return `merge conflict: ${firstLine(e.message)}`;
    case 'queue-job': return e.state === 'not-taken' ? `no worker took the job in ${Math.round(Number(e.waited_ms) / 1_000)} s` : `queue job ${String(e.state)}${e.worker ? ` on worker ${String(e.worker)}` : ''}`;
    case 'queue-progress': return `worker ${String(e.worker)}: ${String(e.stage)}`;
    case 'queue-resume': return `worker ${String(e.worker)} resumed from ${String(e.from).slice(0, 12)} (the commits of a worker that died)`;
    case 'replay-start': return `replay started on ${String(e.commit).slice(0, 12)}`;
    case 'replay': return `replay ${String(e.result)}${e.command ? ` at \`${String(e.command)}\`` : ''}`;
    case 'reverted': return `merge ${String(e.merge).slice(0, 12)} reverted${e.problem ? ` - REVERT FAILED: ${firstLine(e.problem)}` : ''}`;
    case 'ticket-done': return 'DONE (receipt written)';
    case 'pass-end': return `pass ${String(e.pass)} ended: ${String(e.outcome)}${e.outcome === 'landed' ? '' : ` - ${briefReason(String(e.reason ?? ''), 160)}`}${typeof e.cost_usd === 'number' && e.cost_usd > 0 ? ` ($${e.cost_usd.toFixed(2)})` : ''}`;
    case 'ticket-filed': return `filed discovered ticket (from ${String(e.from)}): ${String(e.title)}`;
    case 'heal-start': return `heal started: ${firstLine(e.reason)}`;
    case 'heal-end': return `heal ended: ${String(e.classification ?? '?')}, tripwire ${String(e.tripwire ?? '?')}${e.summary ? ` - ${firstLine(e.summary)}` : ''}`;
    case 'intervention-request': return `needs a person (${String(e.kind)}): ${firstLine(e.reason)}`;
    case 'intervention': return `intervention (${String(e.kind)}): ${firstLine(e.note)}`;
    case 'graph': return `batch read: ${String(e.tickets)} ticket(s)${Array.isArray(e.outside_done) && e.outside_done.length > 0 ? `, blockers done outside the batch: ${e.outside_done.join(', ')}` : ''}`;
    case 'thrash': return `the same check failed ${String(e.streak)} passes in a row: this pass gets the root-cause-first prompt`;
    case 'tracker-error': return `tracker error: ${firstLine(e.problem)}`;
    case 'blocked-check-start': return `blocked claim checked by ${spec(e.checker)}`;
    case 'blocked-check': return `blocked claim ${String(e.verdict)}: ${firstLine(e.reason)}`;
    case 'ticket-gated': return `gated for a person: ${firstLine(e.reason)}`;
    case 'sandbox-off': return `WARNING: ${String(e.detail)}`;
    case 'stale-git-lock': return `removed a stale git lock ${String(e.path)} (${Math.round(Number(e.age_ms) / 1_000)} s old, left by a killed git)`;
    case 'foreign-target-move': return `the target branch was moved outside the loop (${String(e.when)}): expected ${String(e.expected).slice(0, 12)}, found ${String(e.found).slice(0, 12)}${e.kept ? `, kept ${String(e.kept)}` : ''}`;
    case 'heal-accepted': return `heal ${String(e.commit).slice(0, 12)} accepted: the loop restarts from the healed code`;
    case 'run-end': return `run ended: exit ${String(e.exit_code)} - ${String(e.reason)}`;
    case 'setup': return describeSetup(e);
    case 'preflight': return describePreflight(e);
    case 'confirm': return e.agreed === true ? `the oracle, asked on its own, agrees (exit ${String(e.oracle_exit)}); the final audit runs` : `the loop said exit ${String(e.loop_exit)}, but the oracle, asked on its own, exits ${String(e.oracle_exit)}`;
    case 'audit': return e.problem ? `final audit cannot tell: ${firstLine(e.problem)}` : `final audit round ${String(e.round)}: ${Array.isArray(e.passed) ? e.passed.length : 0} passed, ${Array.isArray(e.failed) ? e.failed.length : 0} failed on ${String(e.head).slice(0, 12)}`;
    case 'audit-failed': return `the final audit reopened it: ${firstLine(e.reason)}`;
    case 'budget-warning': return `budget at 80%: ${String(e.scope)} $${Number(e.spent_usd).toFixed(2)} of $${Number(e.limit_usd).toFixed(2)}`;
    case 'notify-sent': return `told ${String(e.target)}: ${String(e.kind)}`;
    case 'notify-failed': return `could not tell ${String(e.target)} (${String(e.kind)}) after ${String(e.attempts)} attempt(s): ${firstLine(e.problem)}`;
    default: return describeOther(e);
  }
}

function describeSchedule(e: Stamped): string {
  const started = Array.isArray(e.started) ? e.started.map(String) : [];
  const counts = (e.counts ?? {}) as Record<string, unknown>;
  const spent = typeof e.spent_usd === 'number' ? `, $${e.spent_usd.toFixed(2)} spent` : '';
  const keptFor = Array.isArray(e.kept_for) ? e.kept_for.map(String) : [];
  const kept = keptFor.length > 0 ? `, ${keptFor.length === 1 ? 'a slot' : `${keptFor.length} slots`} kept for ${keptFor.join(', ')}` : '';
  const left = describeBudget(e.tracker_budget as RateLimitState | undefined);
  const tally = `${String(counts.satisfied ?? 0)} done, ${String(counts.blocked ?? 0)} blocked${kept}${left ? `, tracker: ${left}` : ''}`;
  return started.length > 0 ? `scheduled ${started.join(', ')} (${tally}${spent})` : `nothing new to start (${tally}${spent})`;
}

/** An event this version has no words for still gets a line: its type and its simple facts. */
function describeOther(e: Stamped): string {
  const facts = Object.entries(e)
    .filter(([key, value]) => !['ts', 'run', 'type', 'ticket'].includes(key) && ['string', 'number', 'boolean'].includes(typeof value))
    .map(([key, value]) => `${key}=${firstLine(value)}`);
  return [e.type, ...facts].join(' ');
}

function describeSetup(e: LoopEvent): string {
  if (e.where === 'run') return String(e.plan);
  const took = `${(Number(e.duration_ms) / 1_000).toFixed(1)} s`;
  if (e.result === 'failed') return `set-up of the ${String(e.where)} worktree FAILED at \`${String(e.command)}\` (${String(e.exit)}) after ${took}: ${firstLine(e.output)}`;
  const stored = e.stored === true ? ', stored for the next worktrees' : '';
  const dropped = e.dropped ? ` (the stored copy was dropped: ${firstLine(e.dropped)})` : '';
  return `set-up of the ${String(e.where)} worktree: ${e.result === 'cached' ? 'linked from the store' : 'installed'} in ${took}${stored}${dropped}`;
}

function describePreflight(e: LoopEvent): string {
  if (e.result === 'setup-failed') return `preflight: the set-up failed at \`${String(e.command)}\` (${String(e.exit)})`;
  const results = Array.isArray(e.results) ? (e.results as Array<{ command: string; result: string; exit?: string }>) : [];
  if (results.length > 3) {
    const failing = results.filter((r) => r.result === 'failed').length;
    return `preflight on the target head: ${results.length} finish-line commands start, ${failing} of them fail there (the work to do)`;
  }
  const each = results.map((r) => `\`${r.command}\` ${r.result === 'failed' ? `fails (${r.exit ?? '?'}: not done yet)` : r.result}`).join('; ');
  return `preflight on the target head: ${each || 'no finish lines'}`;
}
