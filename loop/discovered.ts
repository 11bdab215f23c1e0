// Discovered work: items a worker reports (e.g. an activation gap: merged but not live) become new
// tickets with the batch label and the given blocker edges, so the scheduler and the oracle count them.
import type { Ticket } from '../trackers/types.ts';
import type { LoopContext } from './context.ts';
import type { WorkerResult } from './results.ts';

export async function fileDiscovered(
  ctx: LoopContext,
  from: Ticket,
  pass: number,
  items: WorkerResult['discovered'],
  allowance: number,
): Promise<number> {
  let filed = 0;
  const batch = await ctx.tracker.readBatch(ctx.options.batch);
  const known = new Set(batch.tickets.map((t) => t.key));
  for (const item of items) {
    if (filed >= allowance) {
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
    filed++;
    ctx.log.emit({ type: 'ticket-filed', ticket: created.key, from: from.key, pass, title: item.title, blocks });
  }
  return filed;
}
