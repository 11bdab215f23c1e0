// The JSON API's shapes (zod), the contract the README documents: GET /api/batches,
// /api/batches/:id and /api/batches/:id/events?since=N. Fields are snake_case; absent facts are null.
import { z } from 'zod';

const ts = z.iso.datetime();
const usd = z.number().min(0);
const nullable = <T extends z.ZodType>(schema: T) => schema.nullable();

export const Liveness = z.enum(['running', 'healing', 'finished', 'stopped', 'never-started']);
export const Progress = z.strictObject({
  done: z.number().int(), running: z.number().int(), ready: z.number().int(), blocked: z.number().int(), gated: z.number().int(),
  exhausted: z.number().int(), canceled: z.number().int(), total: z.number().int(),
});

export const BatchSummary = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{12}$/), dir: z.string(), name: z.string(), batch: nullable(z.string()), loop: Liveness,
  progress: nullable(Progress),
  oracle: nullable(z.looseObject({ verdict: z.string(), satisfied: z.number().int(), total: z.number().int() })),
  spent_usd: usd, budget_usd: nullable(usd), runs: z.number().int(), last_event_at: nullable(ts),
});

export const BatchList = z.strictObject({ batches: z.array(BatchSummary) });

export const TicketView = z.strictObject({
  key: z.string(), state: z.enum(['done', 'gated', 'running', 'retrying', 'failed', 'blocked', 'todo']), blocked_by: z.array(z.string()),
  depth: z.number().int().min(0), passes: z.number().int().min(0), cost_usd: usd, duration_ms: z.number().min(0),
  last_outcome: nullable(z.string()), discovered: z.boolean(), gated: nullable(z.string()),
  oracle: nullable(z.strictObject({ satisfied: z.boolean(), reason: z.string() })),
});

export const Budgets = z.strictObject({
  batch: z.strictObject({ limit_usd: nullable(usd), spent_usd: usd }),
  day: z.strictObject({ limit_usd: nullable(usd), spent_usd: usd, day: z.iso.date() }),
  ticket: z.strictObject({ limit_usd: nullable(usd), max_spent_usd: usd, ticket: nullable(z.string()) }),
});

export const BatchDetail = BatchSummary.extend({
  run: nullable(z.strictObject({ id: z.string(), started: ts, ended: nullable(ts), exit_code: nullable(z.number().int()), reason: nullable(z.string()) })),
  workers: nullable(z.number().int()), agent: nullable(z.string()), reviewers: z.array(z.string()),
  oracle: nullable(z.strictObject({ ts, verdict: z.string(), satisfied: z.number().int(), total: z.number().int(), problem: nullable(z.string()) })),
  budgets: Budgets,
  tickets: z.array(TicketView),
  running: z.array(z.strictObject({ ticket: z.string(), pass: z.number().int(), agent: nullable(z.string()), started: ts, elapsed_ms: z.number().min(0), last_event: z.string(), last_event_at: ts })),
  heals: z.array(z.strictObject({ started: ts, ended: nullable(ts), reason: z.string(), classification: nullable(z.string()), tripwire: nullable(z.string()), summary: nullable(z.string()), reasons: z.array(z.string()), files: z.array(z.string()) })),
  interventions: z.array(z.strictObject({ ts, type: z.enum(['request', 'touch']), kind: z.string(), ticket: nullable(z.string()), note: z.string() })),
  runs_detail: z.array(z.strictObject({ id: z.string(), started: ts, ended: nullable(ts), exit_code: nullable(z.number().int()), reason: nullable(z.string()) })),
  notifications_failed: z.number().int().min(0),
  event_count: z.number().int().min(0),
});

export const EventPage = z.strictObject({
  since: z.number().int().min(0), next: z.number().int().min(0),
  events: z.array(z.looseObject({ type: z.string(), ts, run: z.string(), index: z.number().int().min(0), ticket: z.string().optional() })),
});
