// A ticket's finish line: the commands of the ```verify blocks in its description, one per line, or,
// when it has none, what its worker committed in `.nightshift/verify/<KEY>`. Frozen: the final audit
// reads finish lines the same way the loop does before a merge and in its replay.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const VERIFY_BLOCK = /```verify[ \t]*\r?\n([\s\S]*?)```/g;

/** The verify commands of a description (all ```verify blocks, blank lines and `#` comments dropped). */
export function verifyCommands(description: string): string[] {
  const commands: string[] = [];
  for (const match of description.matchAll(VERIFY_BLOCK)) {
    for (const line of (match[1] ?? '').split('\n')) {
      const command = line.trim();
      if (command !== '' && !command.startsWith('#')) commands.push(command);
    }
  }
  return commands;
}

/** Where a worker adds the verify commands of a ticket whose description has none (reviewed as code). */
export function verifyFilePath(key: string): string {
  return `.nightshift/verify/${key}`;
}

/**
 * The finish line of a ticket as seen from a checkout: the description's ```verify blocks, or, when it
 * has none, the commands the worker committed in `.nightshift/verify/<KEY>` (one per line).
 */
export function finishLine(description: string, key: string, checkout: string): { commands: string[]; source: 'ticket' | 'repo' | 'none' } {
  let text: string | undefined;
  try {
    text = readFileSync(join(checkout, verifyFilePath(key)), 'utf8');
  } catch {
    text = undefined;
  }
  return finishLineOf(description, text);
}

/** The finish line from a description and the text of `.nightshift/verify/<KEY>` (undefined: no such file). */
export function finishLineOf(description: string, verifyFile: string | undefined): { commands: string[]; source: 'ticket' | 'repo' | 'none' } {
  const fromTicket = verifyCommands(description);
  if (fromTicket.length > 0) return { commands: fromTicket, source: 'ticket' };
  const commands = (verifyFile ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  return { commands, source: commands.length > 0 ? 'repo' : 'none' };
}

