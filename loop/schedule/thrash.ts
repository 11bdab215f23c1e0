// Thrash detection: the same finish-line failure (the same verify command failing, before the merge
// or in the replay after it) three passes running switches the ticket's next pass to a
// root-cause-first prompt (prompts/root-cause.md), given to the worker ahead of the usual notes.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PassOutcome } from '../pass/outcome.ts';
import { renderTemplate } from '../../oracle/template.ts';
import type { LoopEvent } from '../state/state.ts';

export const THRASH_PASSES = 3;

const TEMPLATE = fileURLToPath(new URL('../../prompts/root-cause.md', import.meta.url));

/** What identifies a finish-line failure: the command that failed; other outcomes break a streak. */
export function finishLineFailure(outcome: PassOutcome): { command: string; output: string } | undefined {
  switch (outcome.kind) {
    case 'verify-failed':
    case 'replay-failed':
      return { command: outcome.command, output: outcome.output };
    default:
      return undefined;
  }
}

export type ThrashWatch = {
  /** Records how a pass ended (`undefined` for anything but a finish-line failure). */
  record(key: string, failure: { command: string; output: string } | undefined): void;
  /** The root-cause section for the ticket's next pass, when it thrashes; '' otherwise. */
  rootCauseNote(key: string): string;
  streak(key: string): number;
};

export function openThrashWatch(history: ReadonlyArray<LoopEvent>, template = TEMPLATE): ThrashWatch {
  const streaks = new Map<string, { command: string; output: string; count: number }>();
  const record: ThrashWatch['record'] = (key, failure) => {
    if (!failure) {
      streaks.delete(key);
      return;
    }
    const last = streaks.get(key);
    streaks.set(key, { ...failure, count: last?.command === failure.command ? last.count + 1 : 1 });
  };
  for (const e of history) {
    if (e.type !== 'pass-end' || !e.ticket) continue;
    const command = e.finish_line_command;
    record(e.ticket, typeof command === 'string' ? { command, output: typeof e.finish_line_output === 'string' ? e.finish_line_output : '' } : undefined);
  }
  return {
    record,
    streak: (key) => streaks.get(key)?.count ?? 0,
    rootCauseNote(key) {
      const streak = streaks.get(key);
      if (!streak || streak.count < THRASH_PASSES) return '';
      const output = streak.output.trim().split('\n').slice(-40).map((line) => `      ${line}`).join('\n');
      return renderTemplate(readFileSync(template, 'utf8'), { failures: String(streak.count), command: streak.command, output }, 'prompts/root-cause.md').trimEnd();
    },
  };
}
