// The frozen oracle asked once, as its own process (`oracle/cli.ts --json`): its exit code is the
// verdict, its JSON explains it. The supervisor confirms every "done" this way, and the gate and the
// audit learn which tickets count as done from it; none of them trusts the loop's word.
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { z } from 'zod';

const ORACLE_CLI = fileURLToPath(new URL('../oracle/cli.ts', import.meta.url));

const OracleJson = z.object({
  verdict: z.enum(['done', 'not-done', 'cannot-tell']),
  tickets: z.array(z.object({ key: z.string(), satisfied: z.boolean(), via: z.enum(['receipt', 'human-gated']).nullable(), reason: z.string() })),
  problem: z.string().optional(),
});

export type OracleVerdict = z.infer<typeof OracleJson> & { exitCode: number };

export type OracleTarget = { batch: string; tracker: string; tickets?: string | undefined; repo: string; targetBranch: string };

export async function oracleOnce(target: OracleTarget, env: NodeJS.ProcessEnv): Promise<OracleVerdict> {
  const argv = [ORACLE_CLI, target.batch, '--tracker', target.tracker, '--repo', target.repo, '--target-branch', target.targetBranch, '--json'];
  if (target.tickets) argv.push('--tickets', target.tickets);
  const result = await execa(process.execPath, argv, { cwd: target.repo, env, reject: false, stdin: 'ignore', timeout: 300_000 });
  const exitCode = typeof result.exitCode === 'number' ? result.exitCode : 2;
  for (const line of result.stdout.trim().split('\n').reverse()) {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      continue;
    }
    const parsed = OracleJson.safeParse(json);
    // the exit code is the verdict: a 0 whose JSON disagrees is not trusted
    if (parsed.success) return { ...parsed.data, exitCode: exitCode === 0 && parsed.data.verdict !== 'done' ? 2 : exitCode };
  }
  return { verdict: 'cannot-tell', tickets: [], problem: (result.stderr || result.stdout).trim().slice(-2_000) || `the oracle exited ${exitCode}`, exitCode: exitCode === 0 ? 2 : exitCode };
}
