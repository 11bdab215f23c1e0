// Helpers for the crash and chaos tests: the loop as a real process (`node loop/main.ts run`) whose
// plain event lines can be awaited, the processes a state dir's loop left behind (found in /proc by
// the environment the loop gives them), and what git says of the target branch and worktrees.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { LEDGER, ROOT, withCallLogs } from './cli.ts';
import { git } from './repo.ts';

export const LOOP_MAIN = `${ROOT}loop/main.ts`;

export type LoopProcess = {
  child: ResultPromise;
  pid: number;
  lines: string[];
  /** Resolves with the first line (seen so far or later) matching `pattern`; rejects if the loop exits first. */
  waitForLine: (pattern: RegExp, count?: number) => Promise<string>;
};

export function startLoop(args: string[], env: NodeJS.ProcessEnv = process.env): LoopProcess {
  const child = execa(process.execPath, [LOOP_MAIN, 'run', ...args], {
    reject: false, stdin: 'ignore', env: withCallLogs(args, { NIGHTSHIFT_LEDGER_DIR: LEDGER, ...env, NIGHTSHIFT_VIEW: 'plain' }), extendEnv: false, timeout: 120_000,
  });
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let ended = false;
  if (child.stdout) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      for (const wake of [...waiters]) wake();
    });
  }
  void child.then(() => {
    ended = true;
    for (const wake of [...waiters]) wake();
  });
  const waitForLine = (pattern: RegExp, count = 1) => new Promise<string>((resolve, reject) => {
    const check = () => {
      const matches = lines.filter((l) => pattern.test(l));
      if (matches.length >= count) {
        waiters.splice(waiters.indexOf(check), 1);
        resolve(matches[count - 1] as string);
      } else if (ended) {
        waiters.splice(waiters.indexOf(check), 1);
        reject(new Error(`the loop exited before printing ${String(pattern)} x${count}:\n${lines.join('\n')}`));
      }
    };
    waiters.push(check);
    check();
  });
  return { child, pid: child.pid ?? 0, lines, waitForLine };
}

/** Pids of processes the loop of `stateDir` started (agents, their children, verify commands, the oracle). */
export function leftoverProcesses(stateDir: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let environ = '';
    try {
      environ = readFileSync(`/proc/${name}/environ`, 'latin1');
      const state = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (state.slice(state.lastIndexOf(')') + 2).startsWith('Z')) continue;
    } catch {
      continue;
    }
    const vars = environ.split('\0');
    if (vars.includes(`NIGHTSHIFT_LOOP_STATE=${stateDir}`) || vars.some((v) => v.startsWith(`NIGHTSHIFT_RESULT_FILE=${join(stateDir, 'passes')}/`))) found.push(Number(name));
  }
  return found;
}

/** `Nightshift-Ticket` trailer values of every commit on the branch, in order. */
export async function trailersOn(repo: string, branch = 'main'): Promise<string[]> {
  const out = await git(repo, 'log', branch, '--format=%(trailers:key=Nightshift-Ticket,valueonly,separator=%x2C)');
  return out.split('\n').flatMap((l) => l.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/** Worktrees git knows besides the repo itself. */
export async function extraWorktrees(repo: string): Promise<string[]> {
  const out = await git(repo, 'worktree', 'list', '--porcelain');
  return out.split('\n').filter((l) => l.startsWith('worktree ')).map((l) => l.slice('worktree '.length)).slice(1);
}

export function readEventLines(stateDir: string): Array<{ type: string; ts: string; ticket?: string; [k: string]: unknown }> {
  return readFileSync(join(stateDir, 'events.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '').flatMap((l) => {
    try {
      return [JSON.parse(l) as { type: string; ts: string }];
    } catch {
      return [];
    }
  });
}
