// The keys of nightshift.config.json (frozen with run-options.ts, which reads them): every flag of `run`
// in camelCase, and the keys that have no flag (budgets per day and ticket, webhooks, deploy, the replay window).
import { z } from 'zod';

/** A webhook the loop posts to (http or https). */
const NotifyUrl = z.url({ protocol: /^https?$/, error: 'a webhook URL must be http:// or https://' });

/** A webhook: a Slack incoming webhook (`{text}`) or a generic JSON POST (`{text, kind, ...facts}`). */
export type NotifyTarget = { url: string; format: 'slack' | 'json' };

export const RunConfig = z.strictObject({
  tracker: z.enum(['local', 'linear', 'jira', 'github']).optional(),
  tickets: z.string().optional(),
  repo: z.string().optional(),
  targetBranch: z.string().min(1).optional(),
  agent: z.string().min(1).optional(),
  review: z.union([z.string(), z.array(z.string())]).optional(),
  heal: z.string().min(1).optional(),
  workers: z.number().int().min(1).max(64).optional(),
  maxPasses: z.number().int().min(1).max(100).optional(),
  budgetUsd: z.number().positive().optional(),
  budgetUsdPerDay: z.number().positive().optional(),
  budgetUsdPerTicket: z.number().positive().optional(),
  notify: z.array(z.union([NotifyUrl, z.strictObject({ url: NotifyUrl, format: z.enum(['slack', 'json']).optional() })])).optional(),
  state: z.string().optional(),
  workerMinutes: z.number().positive().optional(),
  maxDiscovered: z.number().int().min(0).optional(),
  setup: z.array(z.string().trim().min(1, 'a setup command cannot be empty')).optional(),
  preflight: z.boolean().optional(),
  sandbox: z.enum(['on', 'off']).optional(),
  agentNetwork: z.enum(['host', 'proxy', 'none']).optional(),
  land: z.enum(['local', 'push', 'pr']).optional(),
  deploy: z.string().trim().min(1, 'the deploy command cannot be empty').optional(),
  replayWindowMinutes: z.number().positive().optional(),
  executor: z.enum(['local', 'queue']).optional(),
  queue: z.string().regex(/^rediss?:\/\//, 'a queue is a redis:// URL').optional(),
});
export type RunConfig = z.infer<typeof RunConfig>;
