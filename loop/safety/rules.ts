// The safety gate's walk over a parsed command: every simple command that may run (in subshells,
// pipelines, command substitutions, `sh -c` strings, here-documents fed to a shell, `find -exec`,
// behind sudo/env/xargs/...) goes through the rules; the first rule that objects blocks the whole call.
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { checkDeploy, checkSql } from './rules-infra.ts';
import { checkFiles, checkSecretArgs } from './rules-files.ts';
import { checkGit } from './rules-git.ts';
import { checkEnvironmentDump, checkSystem, nestedCommands } from './rules-system.ts';
import type { GateContext } from './paths.ts';
import { mayWrite, resolveWord } from './paths.ts';
import { isSecretName, isSecretPath } from './secrets.ts';
import { findSubs } from './lex.ts';
import { parseTokens } from './shell.ts';
import type { Script, SimpleCommand, Word } from './shell.ts';
import { basenameOf, unwrap } from './unwrap.ts';
import type { Invocation, Rule, ShellState } from './invocation.ts';

export type { Invocation, Rule, ShellState } from './invocation.ts';

const RULES: Rule[] = [checkSecretArgs, checkEnvironmentDump, checkFiles, checkGit, checkSql, checkDeploy, checkSystem];
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'mksh', 'fish']);
const MAX_DEPTH = 6;
const OUTPUT = new Set(['>', '>>', '>|', '&>', '&>>', '<>']);

/** Reasons to block a shell command (empty: allowed). Parse errors are the caller's. */
export function checkScript(script: Script, ctx: GateContext, state: ShellState, depth = 0): string[] {
  if (depth > MAX_DEPTH) return ['the command nests shells too deeply to check'];
  const reasons: string[] = [];
  for (const pipeline of script) {
    let previousOutput: string | undefined;
    for (const command of pipeline) {
      // Each part of a pipeline runs in its own subshell: a `cd` there does not carry over.
      const own = pipeline.length > 1 ? { ...state } : state;
      if (command.kind === 'subshell') {
        reasons.push(...checkRedirects(command.redirects, ctx, own), ...checkScript(command.body, ctx, { ...own }, depth + 1));
        previousOutput = undefined;
        continue;
      }
      reasons.push(...checkSimple(command, ctx, own, depth, previousOutput));
      previousOutput = literalOutput(command);
    }
  }
  return reasons;
}

/** Parses and checks a script given as text (an `sh -c` string, a here-document, a script file). */
export function checkSource(src: string, ctx: GateContext, state: ShellState, depth: number): string[] {
  let script: Script;
  try {
    script = parseTokens(src);
  } catch (error) {
    return [`a nested shell script does not parse (${(error as Error).message})`];
  }
  return checkScript(script, ctx, state, depth + 1);
}

function checkSimple(command: SimpleCommand, ctx: GateContext, state: ShellState, depth: number, piped: string | undefined): string[] {
  const reasons: string[] = [];
  const allWords = [...command.assigns, ...command.words, ...command.redirects.map((r) => r.target)];
  for (const word of allWords) {
    for (const sub of word.subs) reasons.push(...checkSource(sub, ctx, { ...state }, depth));
    const secret = word.vars.find(isSecretName);
    if (secret) reasons.push(`it expands $${secret}, a secret variable: credentials stay out of commands and logs`);
  }
  reasons.push(...checkRedirects(command.redirects, ctx, state));
  const heredoc = command.redirects.find((r) => r.heredoc || r.op === '<<<');
  const stdin = heredoc ? (heredoc.heredoc?.body ?? heredoc.target.text) : piped;
  for (const redirect of command.redirects) {
    if (redirect.heredoc?.expand) for (const sub of findSubs(redirect.heredoc.body)) reasons.push(...checkSource(sub, ctx, { ...state }, depth));
  }

  const unwrapped = unwrap(command.words);
  if (unwrapped.dumpsEnvironment) return [...reasons, 'it prints the whole environment (`env`), which holds credentials; print the one variable you need'];
  if (unwrapped.queryOnly || unwrapped.argv.length === 0) return reasons;
  const cwd = unwrapped.chdir ? resolveDir(unwrapped.chdir, state, ctx) : state.cwd;
  const [program, ...args] = unwrapped.argv;
  if (program && program.subs.length > 0) return [...reasons, `the program it runs comes from a command substitution (${program.text}), so the gate cannot tell what runs`];
  const name = basenameOf(program);
  const invocation: Invocation = { name, args, ...(stdin !== undefined ? { stdin } : {}), state: { ...state, cwd } };

  if (name === 'cd' || name === 'pushd') {
    const target = args.find((a) => !a.text.startsWith('-'));
    state.cwd = target ? resolveDir(target, state, ctx) : ctx.home;
    return reasons;
  }
  if (name === 'git' && !args.some((a) => a.text === '--') && ['checkout', 'switch'].includes(args.find((a) => !a.text.startsWith('-'))?.text ?? '')) {
    const branch = args.filter((a) => !a.text.startsWith('-')).slice(1).find(() => true);
    if (branch && !branch.dynamic) state.branch = branch.text;
  }
  if (SHELLS.has(name) || name === 'su') reasons.push(...checkShell(invocation, ctx, depth));
  if (name === 'eval') reasons.push(...checkSource(args.map((a) => a.text).join(' '), ctx, { ...invocation.state }, depth));
  if (name === 'trap' && args[0] && !args[0].text.startsWith('-')) reasons.push(...checkSource(args[0].text, ctx, { ...invocation.state }, depth));
  // `watch 'rm -rf x'`, `script -c`: a wrapper that hands one string to a shell.
  if (basenameOf(command.words[0]) === 'watch' && /\s/.test(program?.text ?? '')) reasons.push(...checkSource(unwrapped.argv.map((a) => a.text).join(' '), ctx, { ...invocation.state }, depth));
  if (name === 'source' || name === '.') reasons.push(...checkScriptFile(args[0], invocation.state, ctx, depth));
  if (program && program.text.includes('/') && !program.dynamic) {
    const resolved = resolveWord(program, invocation.state.cwd, ctx);
    if (resolved.kind === 'path' && isShellScript(resolved.path)) reasons.push(...checkScriptFile(program, invocation.state, ctx, depth));
  }
  if (name === 'find') reasons.push(...checkFindExec(invocation, ctx, depth));
  for (const nested of nestedCommands(invocation)) reasons.push(...checkSource(nested.source, ctx, { ...invocation.state }, depth));
  for (const rule of RULES) {
    const reason = rule(invocation, ctx);
    if (reason) reasons.push(reason);
  }
  return reasons;
}

function checkRedirects(redirects: SimpleCommand['redirects'], ctx: GateContext, state: ShellState): string[] {
  const reasons: string[] = [];
  for (const redirect of redirects) {
    const isDup = (redirect.op === '>&' || redirect.op === '<&') && /^(\d+|-)$/.test(redirect.target.text);
    if (isDup || redirect.op === '<<' || redirect.op === '<<-' || redirect.op === '<<<') continue;
    const resolved = resolveWord(redirect.target, state.cwd, ctx);
    if (resolved.kind !== 'path') continue;
    if (OUTPUT.has(redirect.op) || redirect.op === '>&') {
      if (!mayWrite(resolved.path, ctx)) reasons.push(`it writes to ${resolved.path}, outside the worktree ${ctx.worktree}`);
    } else if (isSecretPath(resolved.path, ctx.home)) {
      reasons.push(`it reads ${resolved.path}, a credentials or secrets file`);
    }
  }
  return reasons;
}

/** `bash -c STRING`, `sh -lc STRING`, `su -c STRING`, `bash script.sh`, or a script on stdin. */
function checkShell(command: Invocation, ctx: GateContext, depth: number): string[] {
  const { args } = command;
  for (let i = 0; i < args.length; i++) {
    const text = args[i]!.text;
    if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(text) || text === '--command') {
      const script = args[i + 1];
      return script ? checkSource(script.text, ctx, { ...command.state }, depth) : [];
    }
    if (!text.startsWith('-') && !text.startsWith('+')) return checkScriptFile(args[i], command.state, ctx, depth);
  }
  return command.stdin !== undefined ? checkSource(command.stdin, ctx, { ...command.state }, depth) : [];
}

function checkScriptFile(word: Word | undefined, state: ShellState, ctx: GateContext, depth: number): string[] {
  if (!word) return [];
  const resolved = resolveWord(word, state.cwd, ctx);
  if (resolved.kind !== 'path') return [];
  let source: string;
  try {
    if (statSync(resolved.path).size > 256_000) return [];
    source = readFileSync(resolved.path, 'utf8');
  } catch {
    return [];
  }
  return checkSource(source, ctx, { cwd: state.cwd, scriptDir: dirname(resolved.path) }, depth).map((reason) => `the script ${word.text} ${reason.replace(/^it /, '')}`);
}

/** `./build.sh`, `scripts/x`: a shell script the command runs directly. */
function isShellScript(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    if (path.endsWith('.sh') || path.endsWith('.bash')) return true;
    return /^#!\s*\S*\b(env\s+)?(ba|z|da|k)?sh\b/.test(readFileSync(path, 'utf8').slice(0, 100));
  } catch {
    return false;
  }
}

/** `find ... -exec CMD {} ;` runs CMD on what it finds: check it with the search roots as arguments. */
function checkFindExec(command: Invocation, ctx: GateContext, depth: number): string[] {
  const { args } = command;
  const roots = args.slice(0, Math.max(0, args.findIndex((a) => /^[-(!]/.test(a.text)))).map((a) => a.text);
  const reasons: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (!['-exec', '-execdir', '-ok', '-okdir'].includes(args[i]!.text)) continue;
    const end = args.findIndex((a, j) => j > i && (a.text === ';' || a.text === '+'));
    const inner = args.slice(i + 1, end === -1 ? args.length : end).map((a) => a.text);
    const expanded = (roots.length > 0 ? roots : ['.']).map((root) => inner.map((t) => (t === '{}' ? root : t)));
    for (const argv of expanded) reasons.push(...checkSource(argv.map(quoteForShell).join(' '), ctx, { ...command.state }, depth));
  }
  return reasons;
}

function resolveDir(word: Word, state: ShellState, ctx: GateContext): string | null {
  if (word.subs.length === 1 && /^\s*git rev-parse --show-toplevel\s*$/.test(word.subs[0]!)) return ctx.worktree;
  const fromScript = /^\$\(\s*dirname\s+"?\$(?:0|\{0\}|\{BASH_SOURCE(?:\[0\])?\})"?\s*\)(\/.*)?$/.exec(word.text);
  if (fromScript && word.subs.length === 1) return state.scriptDir ? resolve(state.scriptDir, `.${fromScript[1] ?? ''}`) : null;
  if (word.text === '-') return null;
  const resolved = resolveWord(word, state.cwd, ctx);
  return resolved.kind === 'path' && !resolved.glob ? resolve(resolved.path) : null;
}

/** What `echo`/`printf`/`cat <<EOF` would write into a pipe, when it is literal. */
function literalOutput(command: SimpleCommand): string | undefined {
  const name = basenameOf(command.words[0]);
  if (name === 'echo' || name === 'printf') return command.words.slice(1).filter((w) => !/^-[neE]+$/.test(w.text)).map((w) => w.text.replace(/\\n/g, '\n')).join(' ');
  if (name === 'cat') return command.redirects.find((r) => r.heredoc)?.heredoc?.body ?? command.redirects.find((r) => r.op === '<<<')?.target.text;
  return undefined;
}

function quoteForShell(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
