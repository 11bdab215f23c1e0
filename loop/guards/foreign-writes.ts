// While a run is live the tickets file (local tracker) and the loop's own state files belong to the
// loop. This opens their guards for a run and records every foreign write they undo: an event
// (`foreign-tickets-write`, `foreign-state-write`) and an intervention request, so a person reviews the
// foreign version kept under <state>/foreign/.
import { join } from 'node:path';
import { openGuardedLocalTracker } from '../../trackers/local-guard.ts';
import type { ForeignTicketsWrite, GuardedLocalTracker } from '../../trackers/local-guard.ts';
import type { Tracker } from '../../trackers/types.ts';
import { requestIntervention } from './interventions.ts';
import type { LoopEvent, RunParts } from '../state/state.ts';
import { openStateGuard } from './state-guard.ts';
import type { ForeignStateWrite } from './state-guard.ts';

export type ForeignWrites = {
  /** The tracker the loop uses: the guarded one for a local tickets file, else `opened` as it was. */
  tracker: Tracker;
  /** The loop appended this event to events.jsonl (feed every event, in order). */
  sawEvent(event: LoopEvent): void;
  /** The loop (re)wrote this whole state file. */
  owns(path: string): void;
  /** Checks the tickets file and the owned state files now; one line per foreign write found and undone. */
  check(when: string, tickets: readonly string[]): Promise<{ ticketsFile: boolean; problems: string[] }>;
};

function describeTickets(write: ForeignTicketsWrite): string {
  return `the tickets file was changed outside the loop (${write.when}); the loop put its own version back${write.kept ? ` and kept the foreign one at ${write.kept}` : ''}:\n${write.summary.map((l) => `  ${l}`).join('\n')}`;
}

function describeState(write: ForeignStateWrite): string {
  return `the loop's ${write.file} was ${write.change} outside the loop (${write.when}); the loop put its own version back${write.kept ? ` and kept the foreign one at ${write.kept}` : ''}`;
}

export async function openForeignWrites(parts: RunParts, opened: Tracker): Promise<ForeignWrites> {
  let suspects: readonly string[] = [];
  const record = (type: string, reason: string, fields: Record<string, unknown>) => {
    parts.log.emit({ type, ...fields, tickets: [...suspects] });
    requestIntervention(parts, { kind: 'work', reason: reason.split('\n')[0] ?? reason, evidence: reason });
  };
  const tickets: GuardedLocalTracker | undefined = opened.kind === 'local' && parts.options.tickets
    ? await openGuardedLocalTracker({
      path: parts.options.tickets,
      foreignDir: join(parts.paths.root, 'foreign'),
      onForeign: (write) => record('foreign-tickets-write', describeTickets(write), { when: write.when, kept: write.kept, changes: write.diff.changes, ...(write.diff.problem ? { problem: write.diff.problem } : {}) }),
    })
    : undefined;
  const state = openStateGuard(parts.paths.root, [parts.paths.events]);
  state.owns(join(parts.paths.root, 'loop.pid'));
  return {
    tracker: tickets ?? opened,
    sawEvent: (event) => state.appended(parts.paths.events, `${JSON.stringify(event)}\n`),
    owns: (path) => state.owns(path),
    async check(when, keys) {
      suspects = keys;
      try {
        const ticketsWrite = await tickets?.check(when);
        const stateWrites = state.check(when);
        for (const write of stateWrites) record('foreign-state-write', describeState(write), { when: write.when, file: write.file, change: write.change, kept: write.kept });
        return { ticketsFile: ticketsWrite !== undefined, problems: [...(ticketsWrite ? [describeTickets(ticketsWrite)] : []), ...stateWrites.map(describeState)] };
      } finally {
        suspects = [];
      }
    },
  };
}
