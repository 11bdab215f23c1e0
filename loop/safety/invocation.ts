// One command as the safety rules see it (rules.ts walks a script into these; rules-*.ts judge them).
import type { GateContext } from './paths.ts';
import type { Word } from './shell.ts';

/** The shell's state as a list runs: where it is, and which branch it switched to. */
export type ShellState = { cwd: string | null; branch?: string; /** The directory of the script being read, for `$(dirname "$0")`. */ scriptDir?: string };

/** One command as the rules see it, wrappers removed. */
export type Invocation = { name: string; args: Word[]; stdin?: string; state: ShellState };

export type Rule = (command: Invocation, ctx: GateContext) => string | undefined;
