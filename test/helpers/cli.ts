// Runs the real `nightshift` command line as a subprocess, the way a person or CI would.
import { closeSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = `${ROOT}heal/cli.ts`;
export const SCRIPTED_AGENT = `${ROOT}test/agents/scripted.mjs`;

/** Tests never write into this checkout's ledger of heals and interventions. */
export const LEDGER = mkdtempSync(join(tmpdir(), 'nightshift-ledger-'));

export type CliResult = { exitCode: number; stdout: string; stderr: string };

export async function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  const result = await execa(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: withCallLogs(args, options.env ?? { ...process.env, NIGHTSHIFT_LEDGER_DIR: LEDGER }),
    extendEnv: false,
    reject: false,
    timeout: options.timeoutMs ?? 120_000,
    stdin: 'ignore',
  });
  return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The scripted agent appends each call to `<plan>.calls`, outside the worktree: the one file of the test's
 * own the agent sandbox must let it write (NIGHTSHIFT_SANDBOX_WRITABLE), nothing else of the test dir.
 */
export function withCallLogs(args: string[], env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const logs = new Set<string>();
  for (const arg of args) {
    for (const match of arg.matchAll(/scripted\.mjs ([^\s,]+)/g)) logs.add(`${match[1]}.calls`);
  }
  if (logs.size === 0) return env;
  for (const log of logs) closeSync(openSync(log, 'a'));
  return { ...env, NIGHTSHIFT_SANDBOX_WRITABLE: [...logs, ...(env.NIGHTSHIFT_SANDBOX_WRITABLE ? [env.NIGHTSHIFT_SANDBOX_WRITABLE] : [])].join(':') };
}
