// Picks the agent adapter for a SPEC: `claude[:model]`, `codex[:model]`, `gemini[:model]` or `command:<argv>`.
import { UsageError } from '../../trackers/errors.ts';
import { claudeAgent } from './claude.ts';
import { codexAgent } from './codex.ts';
import { parseCommandArgv } from '../../oracle/agent-argv.ts';
import { commandAgent } from './command.ts';
import { geminiAgent } from './gemini.ts';
import type { Agent } from './types.ts';

export function openAgent(spec: string, cwd: string): Agent {
  if (spec.startsWith('command:')) return commandAgent(spec, parseCommandArgv(spec.slice('command:'.length), cwd));
  const [name, ...rest] = spec.split(':');
  if (rest.length > 0 && rest.join(':').trim() === '') {
    throw new UsageError('bad-agent-spec', `agent spec "${spec}" names no model after the colon. Write ${name} or ${name}:<model>.`);
  }
  switch (name) {
    case 'claude': return claudeAgent(spec);
    case 'codex': return codexAgent(spec);
    case 'gemini': return geminiAgent(spec);
    default:
      throw new UsageError('bad-agent-spec', `unknown agent spec "${spec}". Use claude[:model], codex[:model], gemini[:model] or command:<path>.`);
  }
}
