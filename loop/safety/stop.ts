// `nightshift hook stop`: when the agent tries to stop, the ticket's finish line runs in the worktree.
// A failure sends the agent back once (exit 2, the first failing command, its output and next steps on
// stderr); when Claude Code says the Stop hook already sent it back (`stop_hook_active`), it may stop.
// The loop hands over the finish line in NIGHTSHIFT_VERIFY_FILE (one command per line, blank lines and
// `#` comments ignored); without it, a worker's finish line is the `.nightshift/verify/<KEY>` file of its
// worktree (DESIGN: a ticket without a verify block gets one from its worker), if any. A worker whose result file reports
// `blocked` may stop: the blocked-claim check judges that, not the finish line.
// Contract: https://code.claude.com/docs/en/hooks (Stop input, stop_hook_active, exit code 2).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { finishLine, runVerify } from '../worktree/verify.ts';

export const StopInput = z.object({
  session_id: z.string().optional(),
  transcript_path: z.string().optional(),
  cwd: z.string(),
  permission_mode: z.string().optional(),
  hook_event_name: z.string().optional(),
  stop_hook_active: z.boolean().default(false),
});
export type StopInput = z.infer<typeof StopInput>;

export type StopVerdict = { kind: 'stop' } | { kind: 'continue'; message: string };

const DEFAULT_TIMEOUT_MS = 20 * 60_000;

/** Reads the finish line the loop handed over. */
export function readVerifyFile(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
}

export async function judgeStop(input: StopInput, env: NodeJS.ProcessEnv): Promise<StopVerdict> {
  if (input.stop_hook_active) return { kind: 'stop' };
  const steps: string[] = [];
  const resultFile = env.NIGHTSHIFT_RESULT_FILE;
  if (resultFile && existsSync(resultFile) && reportsBlocked(resultFile)) return { kind: 'stop' };
  const verifyFile = env.NIGHTSHIFT_VERIFY_FILE;
  const cwd = env.NIGHTSHIFT_WORKTREE || input.cwd;
  let commands = verifyFile && existsSync(verifyFile) ? readVerifyFile(verifyFile) : [];
  if (commands.length === 0 && env.NIGHTSHIFT_ROLE === 'worker' && env.NIGHTSHIFT_TICKET) commands = finishLine('', env.NIGHTSHIFT_TICKET, cwd).commands;
  if (commands.length > 0) {
    const verify = await runVerify({
      commands,
      cwd,
      env,
      logFile: join(verifyFile ? dirname(verifyFile) : env.NIGHTSHIFT_SCRATCH_DIR || cwd, 'stop-hook-verify.log'),
      timeoutMs: Number(env.NIGHTSHIFT_VERIFY_TIMEOUT_MS) || DEFAULT_TIMEOUT_MS,
    });
    if (verify.kind === 'failed') {
      return {
        kind: 'continue',
        message: [
          `nightshift stop gate: the ticket's finish line fails, so this ticket is not done yet.`,
          `First failure: \`${verify.command}\` (${verify.exit}) in ${cwd}. Its output ends with:`,
          indent(verify.output.slice(-3_000)),
          '',
          'Next steps:',
          '- Find the root cause of that failure and fix it in the code (never by editing the tests or the finish line).',
          `- Run \`${verify.command}\` yourself until it passes, then the rest of the finish line:`,
          ...commands.map((c) => `    ${c}`),
          '- Commit the fix, append what you learned to the ticket journal, and update the result file.',
          '- If something outside the repository makes it impossible, report `blocked` in the result file with the exact command and output as evidence.',
        ].join('\n') + '\n',
      };
    }
  }
  if (resultFile && !existsSync(resultFile)) steps.push(`- Write your JSON result to ${resultFile} (the format is in your instructions); without it the pass counts as failed.`);
  if (steps.length === 0) return { kind: 'stop' };
  return { kind: 'continue', message: `nightshift stop gate: one thing is missing before you stop.\n${steps.join('\n')}\n` };
}

function reportsBlocked(path: string): boolean {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { status?: unknown }).status === 'blocked';
  } catch {
    return false;
  }
}

function indent(text: string): string {
  return text.split('\n').map((line) => `    ${line}`).join('\n');
}
