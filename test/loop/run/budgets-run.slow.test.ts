// The budgets across runs with the real loop and real scripted agents that report a cost: the day's
// cap (budgetUsdPerDay) stops new passes with exit 4, a restart the same day remembers it, the cap at
// 80% is one `budget-warning` event, and `status` shows all three caps.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { writeSimBatch } from '../../bench/batch.ts';
import type { SimTicket } from '../../bench/batch.ts';
import { readEventLines, startLoop } from '../../helpers/crash-helpers.ts';
import { runCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/repo.ts';

const sim = (key: string): SimTicket => ({ key, blockedBy: [], durationMs: 0, labels: [] });

test('the day\'s budget: exit 4 once spent, a restart the same day starts nothing, status shows the caps', async () => {
  const dir = tempDir();
  const setup = writeSimBatch(dir, [sim('D-1'), sim('D-2'), sim('D-3'), sim('D-4')], { workers: 1, costUsd: 0.4, prefix: 'D' });
  const config = join(dir, 'budgets.json');
  writeFileSync(config, JSON.stringify({ budgetUsdPerDay: 1, budgetUsdPerTicket: 3 }));
  const first = await startLoop([...setup.runArgs, '--config', config]).child;
  expect(first.exitCode).toBe(4);
  expect(first.stdout).toContain('the budget is spent ($1.20 of no limit, today $1.20 of $1.00 a day, at most $3.00 a ticket): no new pass starts');
  const agentStarts = () => readEventLines(setup.state).filter((e) => e.type === 'agent-start').length;
  expect(agentStarts()).toBe(3);
  const again = await startLoop([...setup.runArgs, '--config', config]).child;
  expect(again.exitCode).toBe(4);
  expect(agentStarts()).toBe(3);
  const warnings = readEventLines(setup.state).filter((e) => e.type === 'budget-warning');
  expect(warnings.map((e) => [e.scope, e.limit_usd])).toEqual([['day', 1]]);
  const status = JSON.parse((await runCli(['status', '--state', setup.state, '--json'])).stdout) as { budgets: unknown };
  expect(status.budgets).toEqual({
    batch: { limit_usd: null, spent_usd: 1.2 },
    day: { limit_usd: 1, spent_usd: 1.2, day: new Date().toISOString().slice(0, 10) },
    ticket: { limit_usd: 3, max_spent_usd: 0.4, ticket: 'D-1' },
  });
});
