// Heals that change how the loop works, not what counts as done. Every one must be accepted; the ones
// marked `full` get the whole verdict (typecheck, golden cases, the loop check, the fast suite).
import { append, replace, write } from './edits.ts';
import type { Heal } from './edits.ts';

export const BENIGN: Heal[] = [
  { name: 'prompt-wording', about: 'the worker prompt says where the finish line is, more plainly', kind: 'benign', full: true,
    apply: (d) => append(d, 'prompts/worker.md', '\nBefore you report complete, run every verify command yourself and read its output.\n') },
  { name: 'rate-limit-waits', about: 'a pass waits out more usage limits before it gives up', kind: 'benign', full: true,
    apply: (d) => replace(d, 'loop/pass/pass.ts', 'const RATE_LIMIT_WAITS = 6;', 'const RATE_LIMIT_WAITS = 8;') },
  { name: 'scheduler-early-return', about: 'the scheduler returns before sorting when no slot is free', kind: 'benign',
    apply: (d) => {
      replace(d, 'loop/schedule/scheduler.ts', '  if (freeSlots <= 0) return picked;\n', '');
      replace(d, 'loop/schedule/scheduler.ts', /(export function pickReady\(view: SchedulerView, freeSlots: number\): Ticket\[\] \{\n)/, '$1  if (freeSlots <= 0) return [];\n');
    } },
  { name: 'reviewer-prompt', about: 'the reviewer prompt asks for the verify commands to be checked against the ticket', kind: 'benign',
    apply: (d) => append(d, 'prompts/reviewer.md', '\nCheck that the verify commands test what the ticket asks for, not something easier.\n') },
  { name: 'longer-failure-output', about: 'the next pass sees 8 kB of a failed finish line, not 4 kB', kind: 'benign',
    apply: (d) => replace(d, 'loop/worktree/verify.ts', '.slice(-4_000)', '.slice(-8_000)') },
  { name: 'log-message', about: 'a clearer comment and wording in the subprocess module', kind: 'benign',
    apply: (d) => replace(d, 'loop/process/subprocess.ts', '// The one subprocess module of the loop', '// The single subprocess module of the loop') },
  { name: 'new-loop-module', about: 'a small helper module in loop/', kind: 'benign',
    apply: (d) => write(d, 'loop/jitter.ts', '// Full jitter for retry delays.\nexport function jitter(ms: number, random: () => number = Math.random): number {\n  return Math.round(ms * random());\n}\n') },
  { name: 'new-prompt', about: 'a new prompt template for a future role', kind: 'benign',
    apply: (d) => write(d, 'prompts/summary.md', 'Summarize the pass for the journal in three lines.\n') },
  { name: 'two-commits', about: 'a heal made of two commits (prompt, then a tracker comment)', kind: 'benign',
    apply: async (d) => {
      append(d, 'prompts/worker.md', '\nKeep commits small.\n');
      const { execa } = await import('execa');
      await execa('git', ['-C', d, '-c', 'user.name=h', '-c', 'user.email=h@h', 'commit', '-qam', 'heal: first half']);
      replace(d, 'trackers/local-guard.ts', "// The loop's hold on the local tickets file", "// The loop's hold on the local (file-backed) tickets file");
    } },
  { name: 'as-rev', about: 'a prompt heal judged as a commit of the trusted repo', kind: 'benign', asRev: true,
    apply: (d) => append(d, 'prompts/blocked-check.md', '\nAsk for the exact error text.\n') },
  { name: 'ignored-leftovers', about: 'a heal whose checkout keeps ignored run state and logs (not part of the candidate)', kind: 'benign',
    apply: (d) => {
      append(d, 'prompts/heal.md', '\nName the event that shows the gap.\n');
      write(d, '.nightshift/state/events.jsonl', '{}\n');
      write(d, 'nightshift-debug.log', 'ignored\n');
    } },
];
