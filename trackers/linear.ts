// The Linear adapter: a batch is one paginated GraphQL query (issues of the range's team by number,
// plus every issue with the batch label); each write is a check-then-act operation (read the issue,
// skip when already so, then the SDK's own mutation) so a retried write never doubles.
import { randomUUID } from 'node:crypto';
import { LinearDocument } from '@linear/sdk';
import type { z } from 'zod';
import type { Batch } from './batch.ts';
import { TrackerError, UsageError } from './errors.ts';
import { connectLinear } from './linear-client.ts';
import { openRelationFeed } from './linear-relations.ts';
import type { RelationPage } from './linear-relations.ts';
import type { LinearConnection } from './linear-client.ts';
import {
  BATCH_QUERY, BatchAnswer, CHANGED_AND_RELATIONS_QUERY, CHANGED_QUERY, ChangedAndRelationsAnswer, COMMENT_CONTEXT_QUERY, ChangedAnswer, CommentContextAnswer, CREATE_CONTEXT_QUERY, CreateContextAnswer, ISSUE_CONTEXT_QUERY,
  ISSUE_REST_QUERY, IssueContextAnswer, IssueRestAnswer, MOVE_CONTEXT_QUERY, MoveContextAnswer, PAGE_SIZE,
} from './linear-queries.ts';

/** Room for discovered tickets on a batch's first page, beyond the keys of its range. */
export const DISCOVERED_ROOM = 10;
/** Issues per page of a changes read (ids and times only: ~2.4 points each asked for; a quiet poll costs ~49). */
const CHANGED_PAGE = 20;
import type { BatchPage, CommentNode, IssueContext, IssueNode, IssueRest, LabelNode, TeamState } from './linear-queries.ts';
import type { GateOptions } from './retry.ts';
import { TicketKey } from './types.ts';
import type { NewTicket, StateCategory, Ticket, Tracker } from './types.ts';

export type LinearTrackerOptions = {
  apiKey: string;
  /** The GraphQL endpoint; the SDK's default (api.linear.app) when absent. */
  apiUrl?: string | undefined;
  /** Team key new tickets go to when none of their related tickets names one. */
  teamKey?: string | undefined;
  gate?: GateOptions;
};

/** Linear's workflow state types onto nightshift's categories (triage and backlog are not started yet). */
export function linearCategory(type: string): StateCategory {
  switch (type) {
    case 'started': return 'in_progress';
    case 'completed': return 'done';
    case 'canceled': case 'duplicate': return 'canceled';
    default: return 'todo';
  }
}

const TARGET_TYPES: Record<StateCategory, string[]> = {
  todo: ['unstarted', 'backlog', 'triage'],
  in_progress: ['started'],
  done: ['completed'],
  canceled: ['canceled'],
};

function splitKey(key: string): { prefix: string; number: number } {
  const at = key.lastIndexOf('-');
  return { prefix: key.slice(0, at), number: Number(key.slice(at + 1)) };
}

/** The IssueFilter of a set of keys: per team, the issue numbers. */
function keysFilter(keys: readonly string[]): Array<Record<string, unknown>> {
  const byTeam = new Map<string, number[]>();
  for (const key of keys) {
    const { prefix, number } = splitKey(key);
    byTeam.set(prefix, [...(byTeam.get(prefix) ?? []), number]);
  }
  return [...byTeam].map(([team, numbers]) => ({ team: { key: { eq: team } }, number: { in: numbers } }));
}

function toComment(node: CommentNode): Ticket['comments'][number] {
  return { author: node.user?.name ?? 'unknown', body: node.body, at: node.createdAt };
}

function toTicket(node: IssueNode): Ticket {
  return {
    key: node.identifier,
    title: node.title,
    description: node.description ?? '',
    state: linearCategory(node.state.type),
    labels: node.labels.nodes.map((l) => l.name),
    blockedBy: node.inverseRelations.nodes.filter((r) => r.type === 'blocks').map((r) => r.issue.identifier),
    comments: [...node.comments.nodes].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map(toComment),
    url: node.url,
  };
}

/** The first state of the category's types, by the team's order. */
function stateFor(states: readonly TeamState[], state: StateCategory): TeamState | undefined {
  return TARGET_TYPES[state].flatMap((type) => states.filter((s) => s.type === type).sort((a, b) => a.position - b.position))[0];
}

export function openLinearTracker(options: LinearTrackerOptions): Tracker {
  const linear: LinearConnection = connectLinear(options);
  const relations = openRelationFeed(linear);
  let lastBatchTeam: string | undefined;
  /** Issue ids by key, from every read; each team's workflow states, from moves (the run's writes need no read for them). */
  const issueIds = new Map<string, string>();
  const teamStates = new Map<string, TeamState[]>();

  async function context(key: string, label?: string): Promise<IssueContext> {
    return linear.read(`read ${key}`, ISSUE_CONTEXT_QUERY, { id: key, label: label ?? '', withLabel: label !== undefined }, IssueContextAnswer);
  }

  async function expectSuccess(label: string, send: () => Promise<{ success: boolean }>): Promise<void> {
    const result = await linear.write(label, send);
    if (!result.success) throw new TrackerError('linear-write-refused', `linear ${label}: Linear answered success: false.`);
  }

  /** The issue with all its labels, blocking relations and comments (a batch page holds the first few). */
  async function complete(node: IssueNode): Promise<IssueNode> {
    const full = { ...node, labels: { ...node.labels }, inverseRelations: { ...node.inverseRelations }, comments: { ...node.comments } };
    while (full.labels.pageInfo.hasNextPage || full.inverseRelations.pageInfo.hasNextPage || full.comments.pageInfo.hasNextPage) {
      const rest: IssueRest = await linear.read(`rest of ${node.identifier}`, ISSUE_REST_QUERY, {
        id: node.id,
        labels: full.labels.pageInfo.endCursor, withLabels: full.labels.pageInfo.hasNextPage,
        relations: full.inverseRelations.pageInfo.endCursor, withRelations: full.inverseRelations.pageInfo.hasNextPage,
        comments: full.comments.pageInfo.endCursor, withComments: full.comments.pageInfo.hasNextPage,
      }, IssueRestAnswer);
      const { labels, inverseRelations, comments } = rest.issue;
      if (labels) full.labels = { nodes: [...full.labels.nodes, ...labels.nodes], pageInfo: labels.pageInfo };
      if (inverseRelations) full.inverseRelations = { nodes: [...full.inverseRelations.nodes, ...inverseRelations.nodes], pageInfo: inverseRelations.pageInfo };
      if (comments) full.comments = { nodes: [...full.comments.nodes, ...comments.nodes], pageInfo: comments.pageInfo };
    }
    return full;
  }

  function teamFor(input: NewTicket): string {
    const related = [...input.blocks, ...input.blockedBy][0];
    const team = related ? splitKey(related).prefix : options.teamKey ?? lastBatchTeam;
    if (!team) {
      throw new UsageError('linear-team-unknown', 'cannot tell which Linear team a new ticket belongs to: it names no related ticket and no batch was read. Set LINEAR_TEAM_KEY.');
    }
    return team;
  }

  /** The label to add: the issue team's own, else a workspace label, else one made in the team now. */
  async function ensureLabel(name: string, teamId: string, known: LabelNode[]): Promise<string> {
    const found = known.find((l) => l.name === name && l.team?.id === teamId) ?? known.find((l) => l.name === name && l.team === null);
    if (found) return found.id;
    const id = randomUUID();
    await expectSuccess(`create label ${name}`, () => linear.sdk.createIssueLabel({ id, name, teamId }));
    known.push({ id, name, team: { id: teamId } });
    return id;
  }

  /** Every issue matching `filter`, complete (the first page asks for `first`, the rest for full pages). */
  async function readFiltered(filter: Record<string, unknown>, firstPage: number, expected = firstPage): Promise<Ticket[]> {
    const nodes = new Map<string, IssueNode>();
    let after: string | null = null;
    let first = firstPage;
    do {
      const page: BatchPage = await linear.read('batch read', BATCH_QUERY, { filter, first, after }, BatchAnswer);
      for (const node of page.issues.nodes) {
        nodes.set(node.id, node);
        issueIds.set(node.identifier, node.id);
      }
      // Linear prices a page by the size asked: the next asks for what is still expected (and room for
      // discovered tickets), not a full page, unless the pages run past that
      first = Math.min(PAGE_SIZE, Math.max(DISCOVERED_ROOM, expected - nodes.size));
      after = page.issues.pageInfo.hasNextPage ? page.issues.pageInfo.endCursor : null;
    } while (after !== null);
    const tickets: Ticket[] = [];
    for (const node of nodes.values()) {
      if (!TicketKey.safeParse(node.identifier).success) continue;
      tickets.push(toTicket(await complete(node)));
    }
    return tickets;
  }

  return {
    kind: 'linear',
    async readBatch(batch: Batch) {
      lastBatchTeam = batch.keys[0] ? splitKey(batch.keys[0]).prefix : lastBatchTeam;
      const filter = { or: [...keysFilter(batch.keys), { labels: { some: { name: { eq: batch.label } } } }] };
      // Linear prices a page by the size asked, not the size found: the first page asks for the range
      // and a few discovered tickets (a batch of 10 costs ~1,900 points instead of ~8,700 of the
      // 250,000 an hour allows); a batch with more discovered work reads on in full pages
      const tickets = await readFiltered(filter, Math.min(PAGE_SIZE, batch.keys.length + DISCOVERED_ROOM), batch.keys.length + DISCOVERED_ROOM);
      const found = new Set(tickets.map((t) => t.key));
      return { tickets, missing: batch.keys.filter((key) => !found.has(key)) };
    },

    async changedSince(batch: Batch, since: string) {
      const filter = { and: [{ or: [...keysFilter(batch.keys), { labels: { some: { name: { eq: batch.label } } } }] }, { updatedAt: { gt: since } }] };
      const changed: Array<{ key: string; updatedAt: string }> = [];
      let after: string | null = null;
      // blocker edges added or archived need not touch either issue: the relations feed (its first page
      // asked for in the same request) names both ends, of any issue of the workspace: the snapshot keeps the batch's
      let firstRelations: RelationPage | undefined;
      do {
        const both = after === null && relations.on();
        const page: z.infer<typeof ChangedAnswer> = both
          ? await linear.read('changed read', CHANGED_AND_RELATIONS_QUERY, { filter, first: CHANGED_PAGE, relations: relations.page }, ChangedAndRelationsAnswer).then((p) => { firstRelations = p.issueRelations; return p; })
          : await linear.read('changed read', CHANGED_QUERY, { filter, first: CHANGED_PAGE, after }, ChangedAnswer);
        for (const node of page.issues.nodes) if (TicketKey.safeParse(node.identifier).success) changed.push({ key: node.identifier, updatedAt: node.updatedAt });
        after = page.issues.pageInfo.hasNextPage ? page.issues.pageInfo.endCursor : null;
      } while (after !== null);
      return [...changed, ...await relations.changed(since, firstRelations)];
    },

    async readTickets(keys: readonly string[]) {
      if (keys.length === 0) return [];
      return readFiltered({ or: keysFilter(keys) }, Math.min(PAGE_SIZE, keys.length), keys.length);
    },

    rateLimit: () => linear.rateLimit(),


    async moveTicket(key: string, state: StateCategory) {
      // an issue whose id and team's states are known moves in one request; if that fails (the team's
      // workflow changed, the issue moved team) the states are read again
      const id = issueIds.get(key);
      const known = teamStates.get(splitKey(key).prefix);
      const direct = known && stateFor(known, state);
      if (id && direct) {
        const moved = await linear.gate.retry(`move ${key}`, () => expectSuccess(`move ${key}`, () => linear.sdk.updateIssue(id, { stateId: direct.id }))).then(() => true, () => false);
        if (moved) return;
        teamStates.delete(splitKey(key).prefix);
      }
      await linear.gate.retry(`move ${key}`, async () => {
        const { issue } = await linear.read(`read ${key}`, MOVE_CONTEXT_QUERY, { id: key }, MoveContextAnswer);
        issueIds.set(key, issue.id);
        teamStates.set(issue.team.key, issue.team.states.nodes);
        if (linearCategory(issue.state.type) === state) return;
        const target = stateFor(issue.team.states.nodes, state);
        if (!target) {
          throw new TrackerError('linear-no-state', `Linear team ${issue.team.key} has no workflow state of type ${TARGET_TYPES[state].join(' or ')} to move ${key} to ${state}. Add one in the team's workflow settings.`);
        }
        await expectSuccess(`move ${key}`, () => linear.sdk.updateIssue(issue.id, { stateId: target.id }));
      });
    },

    async comment(key: string, body: string) {
      const id = randomUUID();
      await linear.gate.retry(`comment on ${key}`, async () => {
        const { issue } = await linear.read(`read ${key}`, COMMENT_CONTEXT_QUERY, { id: key }, CommentContextAnswer);
        const latest = [...issue.head.nodes, ...issue.tail.nodes].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).at(-1);
        if (latest?.body === body) return;
        await expectSuccess(`comment on ${key}`, () => linear.sdk.createComment({ id, issueId: issue.id, body }));
      });
    },

    async addLabel(key: string, label: string) {
      await linear.gate.retry(`label ${key}`, async () => {
        const { issue, issueLabels } = await context(key, label);
        if (issue.labels.nodes.some((l) => l.name === label)) return;
        const labelId = await ensureLabel(label, issue.team.id, issueLabels?.nodes ?? []);
        await expectSuccess(`label ${key}`, () => linear.sdk.updateIssue(issue.id, { addedLabelIds: [labelId] }));
      });
    },

    async createTicket(input: NewTicket) {
      const team = teamFor(input);
      const newId = randomUUID();
      const related = [...input.blocks, ...input.blockedBy];
      const variables = {
        team,
        labels: input.labels,
        related: related.length > 0 ? { or: keysFilter(related) } : { id: { eq: randomUUID() } },
        newId,
      };
      const read = () => linear.read(`create in ${team}`, CREATE_CONTEXT_QUERY, variables, CreateContextAnswer);
      await linear.gate.retry(`create in ${team}`, async () => {
        const ctx = await read();
        const teamNode = ctx.teams.nodes[0];
        if (!teamNode) throw new UsageError('linear-team-missing', `Linear has no team with key ${team}. Check the batch keys or LINEAR_TEAM_KEY.`);
        const ids = new Map(ctx.related.nodes.map((n) => [n.identifier, n.id]));
        const absent = related.filter((key) => !ids.has(key));
        if (absent.length > 0) throw new UsageError('ticket-missing', `Linear has no ticket ${absent.join(', ')} (named as a blocker edge of a new ticket).`);
        const created = ctx.created.nodes[0];
        if (!created) {
          const labelIds: string[] = [];
          for (const name of input.labels) labelIds.push(await ensureLabel(name, teamNode.id, ctx.issueLabels.nodes));
          await expectSuccess(`create in ${team}`, () => linear.sdk.createIssue({ id: newId, teamId: teamNode.id, title: input.title, description: input.description, labelIds }));
        }
        const blocking = new Set(created?.relations.nodes.filter((r) => r.type === 'blocks').map((r) => r.relatedIssue.identifier));
        const blockedBy = new Set(created?.inverseRelations.nodes.filter((r) => r.type === 'blocks').map((r) => r.issue.identifier));
        for (const key of input.blocks.filter((k) => !blocking.has(k))) {
          await expectSuccess(`link ${key}`, () => linear.sdk.createIssueRelation({ issueId: newId, relatedIssueId: ids.get(key) ?? key, type: LinearDocument.IssueRelationType.Blocks }));
        }
        for (const key of input.blockedBy.filter((k) => !blockedBy.has(k))) {
          await expectSuccess(`link ${key}`, () => linear.sdk.createIssueRelation({ issueId: ids.get(key) ?? key, relatedIssueId: newId, type: LinearDocument.IssueRelationType.Blocks }));
        }
      });
      const after = await read();
      const node = after.created.nodes[0];
      if (!node) throw new TrackerError('linear-create-lost', `Linear does not show the ticket just created in ${team} (id ${newId}). Look for "${input.title}" in Linear.`);
      return toTicket(await complete(node));
    },

    requestCount: () => linear.gate.count(),
  };
}
