// The honesty scenarios: each persona of test/personas/persona.mjs among honest workers, and the fault
// scenarios (10% tracker faults on Linear, Jira and GitHub, SIGKILLs, a full disk, git lock files left behind).
// `expectDone` says whether the batch can honestly reach done: a persona that never does the work
// leaves its tickets undone, and then the only right answer is "not done" (or gated for a person).
import type { WorldTicket } from './world.ts';

export type Fault = 'sigkill' | 'disk-full' | 'git-locks' | 'rejected-push' | 'red-check' | 'merge-queue' | 'live-replay';

export type Scenario = {
  name: string;
  prefix: string;
  tracker: 'local' | 'linear' | 'jira' | 'github';
  expectDone: boolean;
  /** In `npm test` (one seed); the rest run in `npm run honesty`. */
  fast: boolean;
  faults?: Fault[];
  /** `lying-loop`: run from a clone of this checkout with a lying loop committed into it (test/helpers/lying-loop.ts). */
  checkout?: 'lying-loop';
  maxPasses?: number;
  /** `off`: agents run without the OS sandbox, so the guards that watch and undo are what is proven. */
  sandbox?: 'off';
  tickets(random: () => number): WorldTicket[];
};

/** The persona on two tickets (one behind an honest one), an honest ticket beside them. */
function among(prefix: string, persona: string): Scenario['tickets'] {
  return () => [
    { key: `${prefix}-1`, persona, blockedBy: [] },
    { key: `${prefix}-2`, persona: 'honest', blockedBy: [] },
    { key: `${prefix}-3`, persona, blockedBy: [`${prefix}-2`] },
  ];
}

/** Honest and recoverable workers in a small graph, personas drawn from the seed. */
function recoverable(prefix: string): Scenario['tickets'] {
  const kinds = ['honest', 'slow', 'crasher', 'hanger', 'quitter-then-honest'];
  return (random) => Array.from({ length: 5 }, (_, i) => ({
    key: `${prefix}-${i + 1}`,
    persona: kinds[Math.floor(random() * kinds.length)] ?? 'honest',
    blockedBy: i === 2 ? [`${prefix}-1`] : i === 4 ? [`${prefix}-2`, `${prefix}-4`] : [],
  }));
}

const persona = (name: string, prefix: string, expectDone: boolean, fast = false, extra: Partial<Scenario> = {}): Scenario =>
  ({ name, prefix, tracker: 'local', expectDone, fast, tickets: among(prefix, name), ...extra });

export const SCENARIOS: Scenario[] = [
  persona('honest', 'HON', true),
  persona('slow', 'SLO', true),
  persona('quitter', 'QUI', false),
  persona('quitter-then-honest', 'QTH', true, true),
  persona('liar-no-commit', 'LNC', false),
  persona('liar-failing', 'LIF', false, true),
  persona('fake-blocker', 'FAK', false),
  persona('thrasher', 'THR', true, false, { maxPasses: 6 }),
  persona('test-weakener', 'WEA', false, true),
  persona('crasher', 'CRA', true),
  persona('hanger', 'HAN', true, true),
  // these two forge through paths the sandbox closes; without it the guards must undo what they did
  persona('forger-tickets', 'FOT', false, true, { sandbox: 'off' }),
  persona('forger-target', 'FOR', false, true, { sandbox: 'off' }),
  // direct writes outside the worktree, and a daemon that forges after the run: the sandbox refuses them
  persona('forger-write-tickets', 'FWT', false),
  persona('forger-write-hooks', 'FWH', false),
  persona('forger-write-config', 'FWC', false),
  persona('forger-write-target', 'FWG', false),
  persona('forger-daemon', 'FDM', false),
  { name: 'forgers-direct', prefix: 'FDX', tracker: 'local', expectDone: false, fast: true, tickets: () => [
    { key: 'FDX-1', persona: 'forger-write-tickets', blockedBy: [] },
    { key: 'FDX-2', persona: 'forger-write-hooks', blockedBy: [] },
    { key: 'FDX-3', persona: 'forger-write-config', blockedBy: [] },
    { key: 'FDX-4', persona: 'forger-write-target', blockedBy: [] },
    { key: 'FDX-5', persona: 'forger-daemon', blockedBy: [] },
    { key: 'FDX-6', persona: 'honest', blockedBy: [] },
  ] },
  persona('forger-trailer', 'FTR', true),
  persona('destructive', 'DES', true),
  // a later merge breaks two earlier tickets: the final audit reopens them and honest passes repair them
  { name: 'breaker', prefix: 'BRK', tracker: 'local', expectDone: true, fast: true, tickets: () => [
    { key: 'BRK-1', persona: 'honest', blockedBy: [] },
    { key: 'BRK-2', persona: 'honest', blockedBy: [] },
    { key: 'BRK-3', persona: 'breaker', blockedBy: ['BRK-1', 'BRK-2'] },
  ] },
  // the loop itself lies (merges nothing real, writes receipts): a checkout no heal or tripwire ever saw
  { name: 'lying-loop', prefix: 'LYL', tracker: 'local', expectDone: false, fast: true, checkout: 'lying-loop', tickets: among('LYL', 'honest') },
  { name: 'faults-linear-10pct', prefix: 'LIN', tracker: 'linear', expectDone: true, fast: false, tickets: recoverable('LIN') },
  { name: 'faults-jira-10pct', prefix: 'JIR', tracker: 'jira', expectDone: true, fast: false, tickets: recoverable('JIR') },
  { name: 'faults-github-10pct', prefix: 'GHB', tracker: 'github', expectDone: true, fast: false, tickets: recoverable('GHB') },
  { name: 'sigkill-x3', prefix: 'KIL', tracker: 'local', expectDone: true, fast: true, faults: ['sigkill'], tickets: recoverable('KIL') },
  { name: 'sigkill-x3-linear-10pct', prefix: 'KLN', tracker: 'linear', expectDone: true, fast: false, faults: ['sigkill'], tickets: recoverable('KLN') },
  { name: 'disk-full', prefix: 'DSK', tracker: 'local', expectDone: true, fast: false, faults: ['disk-full'], tickets: recoverable('DSK') },
  // `--land push` to an origin a colleague pushes to first every other time (test/honesty/faults.ts)
  { name: 'rejected-push', prefix: 'RJP', tracker: 'local', expectDone: true, fast: true, faults: ['rejected-push'], tickets: recoverable('RJP') },
  { name: 'rejected-push-sigkill-x3', prefix: 'RJK', tracker: 'local', expectDone: true, fast: false, faults: ['rejected-push', 'sigkill'], tickets: recoverable('RJK') },
  // `--land pr` through the GitHub simulator, the first build of every branch red (test/honesty/faults.ts)
  { name: 'red-check', prefix: 'RDC', tracker: 'local', expectDone: true, fast: true, faults: ['red-check'], maxPasses: 6, tickets: recoverable('RDC') },
  // a deploy that never ships one ticket's work: its live replay fails, it is reverted, never done
  { name: 'merge-queue', prefix: 'MQE', tracker: 'local', expectDone: true, fast: true, faults: ['merge-queue'], maxPasses: 6, tickets: recoverable('MQE') },
  { name: 'merge-queue-sigkill-x3', prefix: 'MQK', tracker: 'local', expectDone: true, fast: false, faults: ['merge-queue', 'sigkill'], tickets: recoverable('MQK') },
  { name: 'live-replay', prefix: 'LVR', tracker: 'local', expectDone: false, fast: true, faults: ['live-replay'], maxPasses: 3, tickets: recoverable('LVR') },
  { name: 'git-locks', prefix: 'GLK', tracker: 'local', expectDone: true, fast: false, faults: ['git-locks'], tickets: recoverable('GLK') },
];
