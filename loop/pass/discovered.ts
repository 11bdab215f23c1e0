// Discovered work: items a worker reports (e.g. an activation gap: merged but not live) become new
// tickets with the batch label and the given blocker edges, so the scheduler and the oracle count them.
import type { Ticket } from '../../trackers/types.ts';
import type { LoopContext } from '../context.ts';
import type { WorkerResult } from '../../oracle/results.ts';

/**
 * Files the items as tickets, at most `maxDiscovered` per batch (the tickets carrying the batch label
 * count), skipping an item whose title a discovered ticket of the batch already has.
 */
export async function fileDiscovered(
  ctx: LoopContext,
  from: Ticket,
  pass: number,
  items: WorkerResult['discovered'],
): Promise<Array<{ key: string; blocks: string[] }>> {
  const filed: Array<{ key: string; blocks: string[] }> = [];
  const batch = await ctx.tracker.readBatch(ctx.options.batch);
  const known = new Set(batch.tickets.map((t) => t.key));
  const allowance = ctx.options.maxDiscovered - batch.tickets.filter((t) => t.labels.includes(ctx.options.batch.label)).length;
  for (const item of items) {
    if (filed.length >= allowance) {
      ctx.log.emit({ type: 'discovered-capped', ticket: from.key, pass, title: item.title });
      continue;
    }
    const duplicate = batch.tickets.find((t) => t.title === item.title && t.labels.includes(ctx.options.batch.label));
    if (duplicate) {
      ctx.log.emit({ type: 'discovered-duplicate', ticket: from.key, pass, title: item.title, existing: duplicate.key });
      continue;
    }
    const blocks = item.blocks.filter((key) => known.has(key));
    const created = await ctx.tracker.createTicket({
      title: item.title,
      description: `${item.description}\n\nDiscovered by nightshift while working ${from.key} (pass ${pass}, run ${ctx.run}).`,
      labels: [ctx.options.batch.label],
      blocks,
      blockedBy: [],
    });
    filed.push({ key: created.key, blocks });
    ctx.log.emit({ type: 'ticket-filed', ticket: created.key, from: from.key, pass, title: item.title, blocks });
  }
  return filed;
}
