// `nightshift hook pre-tool-use | stop`: reads the hook's JSON from stdin, answers with Claude Code's
// exit codes (0 go on, 2 block with the reason on stderr). Input it cannot read is blocked (exit 2):
// a gate that cannot judge must not let the call through. NIGHTSHIFT_HOOK_LOG, when set, gets one
// redacted JSON line per decision.
import { appendFileSync, readFileSync } from 'node:fs';
import { formatZodIssues } from '../../trackers/errors.ts';
import { PreToolUseInput, blockMessage, judgeToolUse } from './pre-tool-use.ts';
import { redactSecrets } from './redact.ts';

type Io = { stdout: (text: string) => void; stderr: (text: string) => void; env: NodeJS.ProcessEnv; cwd: string };

export const HOOK_USAGE = 'usage: nightshift hook pre-tool-use | stop   (Claude Code hook contract: JSON on stdin; exit 2 blocks, the reason on stderr)';

export async function runHookCommand(argv: string[], io: Io, readStdin: () => string = () => readFileSync(0, 'utf8')): Promise<number> {
  const [event] = argv;
  if (event !== 'pre-tool-use' && event !== 'stop') {
    io.stderr(`nightshift hook: ${event === undefined ? 'which hook?' : `unknown hook "${event}"`}\n${HOOK_USAGE}\n`);
    return 2;
  }
  let json: unknown;
  try {
    json = JSON.parse(readStdin());
  } catch (error) {
    io.stderr(`nightshift hook ${event}: the hook input on stdin is not JSON (${(error as Error).message}); blocking because it cannot be judged.\n`);
    return 2;
  }
  if (event === 'pre-tool-use') {
    const input = PreToolUseInput.safeParse(json);
    if (!input.success) {
      io.stderr(`nightshift hook pre-tool-use: the hook input does not match the PreToolUse contract:\n${formatZodIssues(input.error.issues)}\nBlocking because it cannot be judged.\n`);
      return 2;
    }
    const verdict = await judgeToolUse(input.data, io.env);
    logDecision(io.env, { hook: event, tool: input.data.tool_name, input: input.data.tool_input, decision: verdict.kind, ...(verdict.kind === 'block' ? { reason: verdict.reason } : {}) });
    if (verdict.kind === 'allow') return 0;
    io.stderr(blockMessage(verdict.reason));
    return 2;
  }
  const { StopInput, judgeStop } = await import('./stop.ts'); // the finish line's subprocess code, only for this hook
  const input = StopInput.safeParse(json);
  if (!input.success) {
    io.stderr(`nightshift hook stop: the hook input does not match the Stop contract:\n${formatZodIssues(input.error.issues)}\n`);
    return 2;
  }
  const verdict = await judgeStop(input.data, io.env);
  logDecision(io.env, { hook: event, decision: verdict.kind, ...(verdict.kind === 'continue' ? { reason: verdict.message } : {}) });
  if (verdict.kind === 'stop') return 0;
  io.stderr(verdict.message);
  return 2;
}

function logDecision(env: NodeJS.ProcessEnv, entry: Record<string, unknown>): void {
  if (!env.NIGHTSHIFT_HOOK_LOG) return;
  try {
    appendFileSync(env.NIGHTSHIFT_HOOK_LOG, `${redactSecrets(JSON.stringify({ ts: new Date().toISOString(), ...entry }), env)}\n`);
  } catch {
    // a log that cannot be written must not change the decision
  }
}
