// Asks the frozen oracle for its verdict the only way the loop may: by running `oracle/cli.ts` as its
// own process and reading its exit code and JSON. The loop never judges done itself.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { runProcess } from './subprocess.ts';

const ORACLE_CLI = fileURLToPath(new URL('../oracle/cli.ts', import.meta.url));

const OracleJson = z.object({
  verdict: z.enum(['done', 'not-done', 'cannot-tell']),
  exit_code: z.number(),
  tickets: z.array(z.object({ key: z.string(), satisfied: z.boolean(), via: z.enum(['receipt', 'human-gated']).nullable(), reason: z.string() })),
  problem: z.string().optional(),
  gated: z.number().optional(),
});
export type OracleAnswer = z.infer<typeof OracleJson> & { exitCode: number };

export type OracleArgs = {
  batch: string;
  tracker: string;
  tickets?: string | undefined;
  repo: string;
  targetBranch: string;
};

export async function askOracle(args: OracleArgs, logFile: string, env: NodeJS.ProcessEnv): Promise<OracleAnswer> {
  writeFileSync(logFile, '');
  const argv = [ORACLE_CLI, args.batch, '--tracker', args.tracker, '--repo', args.repo, '--target-branch', args.targetBranch, '--json'];
  if (args.tickets) argv.push('--tickets', args.tickets);
  const result = await runProcess({ file: process.execPath, args: argv, cwd: args.repo, env, timeoutMs: 120_000, logFile });
  const exitCode = result.kind === 'exited' ? result.exitCode : 2;
  const lines = readFileSync(logFile, 'utf8').trim().split('\n').reverse();
  for (const line of lines) {
    try {
      const parsed = OracleJson.safeParse(JSON.parse(line));
      if (parsed.success) {
        // the exit code is the verdict; the JSON only explains it
        return { ...parsed.data, exitCode };
      }
    } catch {
      // not the JSON line
    }
  }
  return { verdict: 'cannot-tell', exit_code: 2, tickets: [], problem: lines.reverse().join('\n').slice(-2_000) || result.kind, exitCode: exitCode === 0 ? 2 : exitCode };
}
