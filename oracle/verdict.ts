// The definition of done (DESIGN.md, "The oracle"): a pure function of what the tracker says and
// what git says. No I/O here; `command.ts` gathers the facts and prints the verdict.
import type { BatchRead, Ticket } from '../trackers/types.ts';
import { HUMAN_GATED_LABEL, findGateReason, findReceipt } from './receipt.ts';

/** What git says of the target branch: the `Nightshift-Ticket` trailer values of each commit on it. */
export type GitFacts = {
  targetBranch: string;
  /** Commit id -> ticket keys named by its trailers, for every trailer-carrying commit on the target. */
  trailersOnTarget: ReadonlyMap<string, readonly string[]>;
};

export type TicketVerdict = {
  key: string;
  satisfied: boolean;
  via: 'receipt' | 'human-gated' | null;
  reason: string;
};

export type BatchVerdict =
  | { kind: 'done'; exitCode: 0; tickets: TicketVerdict[]; gated: number }
  | { kind: 'not-done'; exitCode: 1; tickets: TicketVerdict[]; gated: number }
  | { kind: 'cannot-tell'; exitCode: 2; tickets: TicketVerdict[]; problem: string };

/** Judges one ticket. */
export function judgeTicket(ticket: Ticket, git: GitFacts): TicketVerdict {
  const { key } = ticket;
  if (ticket.labels.includes(HUMAN_GATED_LABEL)) {
    const reason = findGateReason(ticket.comments);
    if (reason) return { key, satisfied: true, via: 'human-gated', reason: `human-gated: ${reason}` };
    return { key, satisfied: false, via: null, reason: 'labelled human-gated but no comment gives the reason (a line "Human-gated: <reason>")' };
  }
  if (ticket.state !== 'done') return { key, satisfied: false, via: null, reason: `state is ${ticket.state}` };
  const lookup = findReceipt(ticket.comments);
  switch (lookup.kind) {
    case 'none':
      return { key, satisfied: false, via: null, reason: 'done without a nightshift receipt' };
    case 'invalid':
      return { key, satisfied: false, via: null, reason: `done with an invalid receipt (${lookup.problem})` };
    case 'superseded':
      return { key, satisfied: false, via: null, reason: `receipt superseded: ${lookup.audit}` };
    case 'found': {
      const { receipt } = lookup;
      const short = receipt.merge_commit.slice(0, 10);
      if (receipt.ticket !== key) return { key, satisfied: false, via: null, reason: `receipt names ${receipt.ticket}, not ${key}` };
      if (receipt.replay !== 'passed') return { key, satisfied: false, via: null, reason: `receipt's replay ${receipt.replay}` };
      const trailers = git.trailersOnTarget.get(receipt.merge_commit);
      if (trailers === undefined) {
        return { key, satisfied: false, via: null, reason: `receipt's merge ${short} is not a trailer-carrying commit on ${git.targetBranch}` };
      }
      if (!trailers.includes(key)) {
        return { key, satisfied: false, via: null, reason: `merge ${short} has no "Nightshift-Ticket: ${key}" trailer` };
      }
      return { key, satisfied: true, via: 'receipt', reason: `merged ${short} on ${git.targetBranch}, replay passed` };
    }
  }
}

/** Judges a whole batch: exit 0 only when every ticket is satisfied; never 0 on missing keys or nothing read. */
export function judgeBatch(read: BatchRead, git: GitFacts): BatchVerdict {
  const tickets = [...read.tickets].sort(compareKeys).map((t) => judgeTicket(t, git));
  if (read.missing.length > 0) {
    return { kind: 'cannot-tell', exitCode: 2, tickets, problem: `the tracker has no ticket ${read.missing.join(', ')} of the batch` };
  }
  if (tickets.length === 0) return { kind: 'cannot-tell', exitCode: 2, tickets, problem: 'the batch is empty' };
  const gated = tickets.filter((t) => t.via === 'human-gated').length;
  if (tickets.every((t) => t.satisfied)) return { kind: 'done', exitCode: 0, tickets, gated };
  return { kind: 'not-done', exitCode: 1, tickets, gated };
}

function compareKeys(a: Ticket, b: Ticket): number {
  const [pa = '', na = '0'] = a.key.split('-');
  const [pb = '', nb = '0'] = b.key.split('-');
  return pa === pb ? Number(na) - Number(nb) : pa < pb ? -1 : 1;
}
