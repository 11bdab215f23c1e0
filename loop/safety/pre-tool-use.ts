// `nightshift hook pre-tool-use`: the Claude Code PreToolUse contract (JSON on stdin; exit 2 with the
// reason on stderr blocks the tool call, exit 0 lets it through). Bash commands are parsed and walked
// by the rules; Write/Edit/MultiEdit/NotebookEdit must stay in the worktree; Read/Grep/Glob must not
// touch secrets; AskUserQuestion is refused because nobody is there to answer.
// Contract: https://code.claude.com/docs/en/hooks (PreToolUse input, exit code 2). Gemini CLI's
// BeforeTool hook has the same shape (https://geminicli.com/docs/hooks/reference: tool_name,
// tool_input, cwd on stdin; exit 2 blocks with stderr as the reason): its tool names are mapped.
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { GateContext } from './paths.ts';
import { gateContext, mayWrite, realish } from './paths.ts';
import { checkScript } from './rules.ts';
import { isSecretPath, mentionsSecret } from './secrets.ts';
import { ShellSyntaxError, parseShell } from './shell.ts';

export const PreToolUseInput = z.object({
  session_id: z.string().optional(),
  transcript_path: z.string().optional(),
  cwd: z.string(),
  permission_mode: z.string().optional(),
  hook_event_name: z.string().optional(),
  tool_name: z.string(),
  tool_input: z.record(z.string(), z.unknown()).default({}),
  tool_use_id: z.string().optional(),
});
export type PreToolUseInput = z.infer<typeof PreToolUseInput>;

export type GateVerdict = { kind: 'allow' } | { kind: 'block'; reason: string };

const WRITE_TOOLS: Record<string, string> = { Write: 'file_path', Edit: 'file_path', MultiEdit: 'file_path', NotebookEdit: 'notebook_path' };
const READ_TOOLS: Record<string, string[]> = { Read: ['file_path', 'absolute_path'], Grep: ['path', 'dir_path', 'glob'], Glob: ['path', 'dir_path', 'pattern'], LS: ['path', 'dir_path'] };
/** Gemini CLI's built-in tools, as the Claude Code tools they correspond to. */
const GEMINI_TOOLS: Record<string, string> = {
  run_shell_command: 'Bash', write_file: 'Write', replace: 'Edit', read_file: 'Read', list_directory: 'LS', glob: 'Glob',
  search_file_content: 'Grep', grep_search: 'Grep', ask_user: 'AskUserQuestion',
};

/** Judges one tool call. `env` carries NIGHTSHIFT_WORKTREE, NIGHTSHIFT_TARGET_BRANCH and the result files. */
export async function judgeToolUse(input: PreToolUseInput, env: NodeJS.ProcessEnv, home = homedir()): Promise<GateVerdict> {
  const tool = GEMINI_TOOLS[input.tool_name] ?? input.tool_name;
  const dirPath = tool === 'Bash' ? input.tool_input.dir_path : undefined; // Gemini's shell tool may name its directory
  const ctx = gateContext(typeof dirPath === 'string' ? resolve(input.cwd, dirPath) : input.cwd, env, home);
  if (input.tool_name === 'read_many_files') {
    const paths = [input.tool_input.paths, input.tool_input.include].flat().filter((p): p is string => typeof p === 'string');
    const secret = paths.find((p) => isSecretPath(realish(resolve(ctx.cwd, p.replace(/^~(?=\/|$)/, home))), home) || mentionsSecret(p));
    if (secret) return block(`read_many_files would read ${secret}, a credentials or secrets file. Credentials are never read by an agent.`);
  }
  if (tool === 'AskUserQuestion') {
    return block('nobody is watching this session, so there is no one to answer. Decide yourself, write your reasoning in the ticket journal, and carry on.');
  }
  if (tool === 'Bash') {
    const command = input.tool_input.command;
    if (typeof command !== 'string') return block('the Bash call has no command string');
    return judgeCommand(command, ctx);
  }
  const writeKey = WRITE_TOOLS[tool];
  if (writeKey) {
    const path = input.tool_input[writeKey];
    if (typeof path !== 'string') return block(`the ${tool} call has no ${writeKey}`);
    const absolute = realish(resolve(ctx.cwd, path));
    if (!mayWrite(absolute, ctx)) return block(`${tool} would write ${absolute}, outside the worktree ${ctx.worktree}. Keep every change inside the worktree.`);
    return { kind: 'allow' };
  }
  for (const key of READ_TOOLS[tool] ?? []) {
    const value = input.tool_input[key];
    if (typeof value !== 'string') continue;
    const absolute = realish(resolve(ctx.cwd, value.replace(/^~(?=\/|$)/, home)));
    if (isSecretPath(absolute, home) || mentionsSecret(value)) return block(`${tool} would read ${value}, a credentials or secrets file. Credentials are never read by an agent.`);
  }
  return { kind: 'allow' };
}

/** Judges a shell command string (the Bash tool's `command`). */
export async function judgeCommand(command: string, ctx: GateContext): Promise<GateVerdict> {
  let reasons: string[];
  try {
    reasons = checkScript(await parseShell(command), ctx, { cwd: ctx.cwd });
  } catch (error) {
    if (error instanceof ShellSyntaxError) return block(`the command does not parse as a shell command (${error.message}), so it cannot be checked. Write it as plain shell.`);
    throw error;
  }
  if (reasons.length === 0) return { kind: 'allow' };
  return block(`${reasons[0]}.`);
}

function block(reason: string): GateVerdict {
  return { kind: 'block', reason };
}

/** The message the CLI feeds back to the model on exit 2. */
export function blockMessage(reason: string): string {
  return `nightshift safety gate: blocked: ${reason}\nThis session runs unattended, so the gate refuses anything that reaches past the ticket: keep changes inside the worktree (scratch files go in $TMPDIR), never force-push or rewrite the target branch, drop data, touch infrastructure, deploy, or read credentials. Find another way to do the ticket's work; if there is none, report the ticket blocked with this message as evidence.\n`;
}
