// Picks the agent adapter for a SPEC: `claude[:model]`, `codex[:model]`, `gemini[:model]` or `command:<argv>`.
import { UsageError } from '../../trackers/errors.ts';
import { commandAgent, parseCommandArgv } from './command.ts';
import type { Agent } from './types.ts';

export function openAgent(spec: string, cwd: string): Agent {
  if (spec.startsWith('command:')) return commandAgent(spec, parseCommandArgv(spec.slice('command:'.length), cwd));
  const [name] = spec.split(':');
  if (name === 'claude' || name === 'codex' || name === 'gemini') {
    throw new UsageError('agent-unavailable', `the ${name} agent adapter is not built yet. Use --agent command:<path> for now.`);
  }
  throw new UsageError('bad-agent-spec', `unknown agent spec "${spec}". Use claude[:model], codex[:model], gemini[:model] or command:<path>.`);
}
