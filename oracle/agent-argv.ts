// Agent specs as frozen code reads them: the argv of a `command:<program and arguments>` spec, split
// like a shell would (shell-quote) without running a shell, and who makes a spec's model. Frozen because
// `nightshift run` checks its specs, and warns of one-vendor review, before any child starts; a relative
// program path resolves against the directory nightshift was started from.
import { isAbsolute, resolve } from 'node:path';
import { parse } from 'shell-quote';
import { UsageError } from '../trackers/errors.ts';

export function parseCommandArgv(text: string, cwd: string): string[] {
  const parts = parse(text);
  const argv: string[] = [];
  for (const part of parts) {
    if (typeof part !== 'string') {
      throw new UsageError('bad-agent-spec', `agent spec "command:${text}" uses shell syntax (${JSON.stringify(part)}). Give a program and its arguments, or wrap a script.`);
    }
    argv.push(part);
  }
  const [program, ...args] = argv;
  if (!program) throw new UsageError('bad-agent-spec', 'agent spec "command:" names no program. Write command:/path/to/agent.');
  const resolved = program.includes('/') && !isAbsolute(program) ? resolve(cwd, program) : program;
  return [resolved, ...args];
}

const VENDORS: Record<string, string> = { claude: 'anthropic', codex: 'openai', gemini: 'google' };

/** Who makes a spec's model; a `command:` agent could be any model, so only the very same command counts as one vendor. */
export function vendorOf(spec: string): string {
  if (spec.startsWith('command:')) return spec;
  return VENDORS[spec.split(':')[0] ?? ''] ?? spec;
}

/** The warning printed when both reviewers come from one vendor (the gate is meant to ask two). */
export function sameVendorWarning(reviewers: readonly string[]): string | undefined {
  const [a, b] = reviewers;
  if (a === undefined || b === undefined || vendorOf(a) !== vendorOf(b)) return undefined;
  return `warning: both reviewers (${a}, ${b}) come from one vendor (${vendorOf(a)}); the merge gate is meant to ask two vendors' models. Pass --review with two vendors, e.g. claude,codex.`;
}
