// `npm run bench -- --sandbox-cost [--json] [--starts N]`: what the agent sandbox costs per agent start.
// Three pairs, N starts each (default 30), plain and sandboxed, alternating: a bare `true` under the
// sandbox's bubblewrap flags; a `command:` agent (`/bin/true`) through its adapter in a real worktree
// (the sandbox's private git view made and closed around it); and the same with a commit it makes, which
// the loop then fetches back. Reports p50 and p95 of each, and the p50 difference.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { commandAgent } from '../../loop/agents/command.ts';
import type { Agent, AgentRun } from '../../loop/agents/types.ts';
import { baseArgs } from '../../loop/sandbox/bwrap.ts';
import { withSandbox } from '../../loop/sandbox/sandbox.ts';
import { captureProcess } from '../../loop/process/subprocess.ts';
import { git, makeRepo, tempDir } from '../helpers/repo.ts';

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 10) / 10;
};

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export async function runSandboxCost(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { json: { type: 'boolean', default: false }, starts: { type: 'string', default: '30' } } });
  const starts = Number(values.starts);
  const dir = tempDir('nightshift-sandbox-cost-');
  const repo = await makeRepo(join(dir, 'repo'), { 'README.md': 'x\n' });
  const worktree = join(dir, 'wt');
  await git(repo, 'worktree', 'add', '-q', '-b', 'nightshift/B-1', worktree, 'main');
  const committer = join(dir, 'commit.sh');
  writeFileSync(committer, '#!/bin/sh\ndate +%s%N > stamp.txt && git add stamp.txt && git -c user.name=b -c user.email=b@x commit -qm stamp\n', { mode: 0o755 });
  const run = (agent: Agent, n: number): Promise<unknown> => {
    const pass = join(dir, 'passes', String(n));
    mkdirSync(pass, { recursive: true });
    const input: AgentRun = { role: 'worker', ticket: 'B-1', pass: 1, cwd: worktree, promptFile: join(pass, 'p'), resultFile: join(pass, 'r.json'), logFile: join(pass, 'log'), env: process.env, timeoutMs: 60_000 };
    return agent.run(input);
  };
  const settings = { mode: 'on' as const, network: undefined, protect: [] };
  const pairs: Record<string, { plain: () => Promise<unknown>; sandboxed: () => Promise<unknown> }> = {
    bare_true: {
      plain: () => captureProcess('/bin/true', [], { cwd: '/', env: process.env }),
      sandboxed: () => captureProcess('bwrap', [...baseArgs('none'), '--', '/bin/true'], { cwd: '/', env: process.env }),
    },
    agent_no_commit: {
      plain: () => run(commandAgent('command:/bin/true', ['/bin/true']), 0),
      sandboxed: () => run(withSandbox(commandAgent('command:/bin/true', ['/bin/true']), settings), 0),
    },
    agent_one_commit: {
      plain: () => run(commandAgent('command:commit', [committer]), 0),
      sandboxed: () => run(withSandbox(commandAgent('command:commit', [committer]), settings), 0),
    },
  };
  const report: Record<string, unknown> = { starts };
  for (const [name, pair] of Object.entries(pairs)) {
    const plain: number[] = [];
    const sandboxed: number[] = [];
    await pair.plain();
    await pair.sandboxed();
    for (let i = 0; i < starts; i++) {
      plain.push(await timed(pair.plain));
      sandboxed.push(await timed(pair.sandboxed));
    }
    report[name] = { plain_p50_ms: quantile(plain, 0.5), sandboxed_p50_ms: quantile(sandboxed, 0.5), plain_p95_ms: quantile(plain, 0.95), sandboxed_p95_ms: quantile(sandboxed, 0.95), cost_p50_ms: Math.round((quantile(sandboxed, 0.5) - quantile(plain, 0.5)) * 10) / 10 };
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ sandbox_cost: report })}\n`);
  else for (const [name, value] of Object.entries(report)) process.stdout.write(`${name}: ${JSON.stringify(value)}\n`);
  return 0;
}
