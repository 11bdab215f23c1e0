// What a person is told, and when: the run ended (done, not done, needs a human, budget spent), a
// ticket was gated for a person, a heal was accepted or rejected, a budget reached 80%. Texts are
// built from the loop's own facts (keys, counts, verdicts, dollars) and masked for secrets: a webhook
// never carries a credential, a diff or an agent's output.
import { ExitCode } from '../../trackers/errors.ts';
import { redactSecrets } from '../safety/redact.ts';
import type { BudgetUse } from '../schedule/budget.ts';
import type { LoopEvent } from '../state/state.ts';
import type { Notice } from './notify.ts';

export type NoticeContext = { batch: string; run: string; stateDir: string; env: NodeJS.ProcessEnv };

const OUTCOMES: Record<number, string> = {
  [ExitCode.done]: 'done', [ExitCode.notDone]: 'not done', [ExitCode.usage]: 'stopped on an error',
  [ExitCode.needsHuman]: 'needs a human', [ExitCode.budgetSpent]: 'budget spent',
};

const brief = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max - 1)}…` : text).replace(/\s+/g, ' ').trim();

function notice(ctx: NoticeContext, kind: Notice['kind'], about: string, text: string, facts: Notice['facts']): Notice {
  return { kind, about, text: redactSecrets(`nightshift ${ctx.batch}: ${text}`, ctx.env), facts: { batch: ctx.batch, run: ctx.run, state_dir: ctx.stateDir, ...facts } };
}

export function runEnded(ctx: NoticeContext, exitCode: number, reason: string): Notice {
  const outcome = OUTCOMES[exitCode] ?? `exit ${exitCode}`;
  return notice(ctx, 'run-ended', `run-end:${ctx.run}`, `run ended, ${outcome} (exit ${exitCode}): ${brief(redactSecrets(reason, ctx.env))}`, { outcome, exit_code: exitCode, reason: brief(redactSecrets(reason, ctx.env)) });
}

/** A notice for an event of the loop's own log, if a person should hear of it. */
export function noticeOfEvent(ctx: NoticeContext, event: LoopEvent & { ts?: string }): Notice | undefined {
  if (event.type === 'ticket-gated' && event.ticket) {
    const reason = typeof event.reason === 'string' ? brief(redactSecrets(event.reason, ctx.env)) : '';
    return notice(ctx, 'ticket-gated', `gated:${event.ticket}:${String(event.ts ?? '')}`, `${event.ticket} is gated for a person${reason ? `: ${reason}` : ''}`, { ticket: event.ticket, reason });
  }
  return undefined;
}

/**
 * Heals are judged by the supervisor, between loop processes: the next loop tells of each `heal-end`
 * whose tripwire verdict no earlier notice was `about`.
 */
export function healNotices(ctx: NoticeContext, history: ReadonlyArray<LoopEvent & { ts?: string }>): Notice[] {
  const told = new Set(history.filter((e) => e.type === 'notify-sent' || e.type === 'notify-failed').map((e) => String(e.about)));
  const notices: Notice[] = [];
  for (const e of history) {
    if (e.type !== 'heal-end') continue;
    const verdict = typeof e.tripwire === 'string' ? e.tripwire : typeof e.verdict === 'string' && e.verdict !== 'wall' ? e.verdict : undefined;
    if (verdict === undefined) continue;
    const about = `heal:${String(e.heal ?? e.ts)}`;
    if (told.has(about)) continue;
    told.add(about);
    const summary = typeof e.summary === 'string' ? brief(redactSecrets(e.summary, ctx.env)) : '';
    notices.push(notice(ctx, 'heal-judged', about, `a heal was ${verdict} by the tripwire${summary ? `: ${summary}` : ''}`, { heal: String(e.heal ?? ''), verdict, summary }));
  }
  return notices;
}

/** A notice for each cap that reached 80% and was not told of yet (`warned` holds the scopes already told). */
export function budgetNotices(ctx: NoticeContext, uses: readonly BudgetUse[], warned: Set<string>, day: string): Notice[] {
  const notices: Notice[] = [];
  for (const use of uses) {
    if (use.spentUsd < 0.8 * use.limitUsd) continue;
    const about = `budget:${use.scope === 'day' ? `day:${day}` : use.scope}`;
    if (warned.has(about)) continue;
    warned.add(about);
    const what = use.scope === 'batch' ? "the batch's budget" : use.scope === 'day' ? `the budget of ${day} (UTC)` : `the budget of ${use.scope.slice('ticket:'.length)}`;
    const percent = Math.floor((100 * use.spentUsd) / use.limitUsd);
    notices.push(notice(ctx, 'budget-warning', about, `${what} is at ${percent}%: $${use.spentUsd.toFixed(2)} of $${use.limitUsd.toFixed(2)}`, { scope: use.scope, spent_usd: Number(use.spentUsd.toFixed(4)), limit_usd: use.limitUsd, percent }));
  }
  return notices;
}

/** The `about`s already told in earlier runs (from `notify-sent`/`notify-failed` and `budget-warning` events). */
export function toldBefore(history: ReadonlyArray<LoopEvent>): Set<string> {
  return new Set(history.filter((e) => e.type === 'notify-sent' || e.type === 'notify-failed' || e.type === 'budget-warning').map((e) => String(e.about)));
}
