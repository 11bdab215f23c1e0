// Where a command's words point: the worktree the gate protects, paths resolved the way the shell
// would (tilde, $HOME, $PWD, the current directory after `cd`), symlinks followed for the part that
// exists, and the branch checked out in a directory (read from git's HEAD file, no subprocess).
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { Word } from './shell.ts';

/** What the gate knows about the session it guards. */
export type GateContext = {
  /** The worktree (real path): the only place an agent may delete or write. */
  worktree: string;
  /** The shell's current directory when the command starts. */
  cwd: string;
  home: string;
  /** Branches whose history must not be rewritten (the target branch). */
  protectedBranches: string[];
  /** Files outside the worktree an agent must write (its result file and journal). */
  allowedFiles: string[];
  /** The agent's scratch directory (its TMPDIR), where it may write and delete too. */
  scratch?: string;
  /** The ticket's own branch (`nightshift/<KEY>`); other tickets' branches are protected like the target. */
  ownBranch?: string;
  /** The agent runs in nightshift's OS sandbox (loop/sandbox): its git sees a private view of the repository. */
  sandboxed?: boolean;
};

/** A resolved word: an absolute path, or unknown (an expansion the gate cannot evaluate). */
export type Resolved = { kind: 'path'; path: string; glob: boolean; /** For a glob: the pattern below `path`. */ pattern?: string } | { kind: 'unknown'; text: string };

const KNOWN_VARS = new Set(['HOME', 'PWD', 'TMPDIR']);

/** Resolves a word used as a path, relative to `cwd` (null when the directory is unknown). */
export function resolveWord(word: Word, cwd: string | null, ctx: GateContext): Resolved {
  let text = word.text;
  if (word.tilde) {
    if (/^~-(\/|$)/.test(text)) return { kind: 'unknown', text: word.text }; // $OLDPWD
    text = text.replace(/^~\+(?=\/|$)/, cwd ?? '~+').replace(/^~(?=\/|$)/, ctx.home).replace(/^~([A-Za-z0-9_.-]+)/, '/home/$1');
    if (text.startsWith('~+')) return { kind: 'unknown', text: word.text };
  }
  if (word.dynamic) {
    const unknownVar = word.vars.some((name) => !KNOWN_VARS.has(name));
    if (unknownVar || word.subs.length > 0) return { kind: 'unknown', text: word.text };
    text = text.replace(/\$\{?HOME\}?/g, ctx.home).replace(/\$\{?PWD\}?/g, cwd ?? '$PWD').replace(/\$\{?TMPDIR\}?/g, ctx.scratch ?? '$TMPDIR');
    if (text.includes('$PWD') || text.includes('$TMPDIR')) return { kind: 'unknown', text: word.text };
  }
  if (!isAbsolute(text) && cwd === null) return { kind: 'unknown', text: word.text };
  if (word.glob && /\{[^{}]*,[^{}]*\}/.test(text)) {
    // Brace expansion: judge every alternative; the first one outside the worktree speaks for the word.
    const alternatives = expandBraces(text).map((alt) => resolveWord({ ...word, text: alt, tilde: alt.startsWith('~'), glob: /[*?[]/.test(alt) }, cwd, ctx));
    return alternatives.find((r) => r.kind === 'unknown' || !isInside(r.path, ctx.worktree) || (r.path === ctx.worktree && !r.glob)) ?? alternatives[0]!;
  }
  if (word.glob) {
    const cut = text.search(/[*?[{]/);
    if (/(^|\/)\.\.(\/|$)/.test(text.slice(cut))) return { kind: 'unknown', text: word.text }; // a/*/../.. climbs out
    const prefix = text.slice(0, cut);
    const dir = prefix.endsWith('/') || prefix === '' ? prefix : dirname(prefix);
    return { kind: 'path', path: realish(resolve(cwd ?? '/', dir || '.')), glob: true, pattern: text.slice(dir.length).replace(/^\//, '') };
  }
  return { kind: 'path', path: realish(resolve(cwd ?? '/', text)), glob: false };
}

/** `a{b,c}d` -> `abd`, `acd` (the first, innermost-free group; repeated until none is left). */
export function expandBraces(text: string): string[] {
  const match = /\{([^{}]*,[^{}]*)\}/.exec(text);
  if (!match) return [text];
  const before = text.slice(0, match.index);
  const after = text.slice(match.index + match[0].length);
  return match[1]!.split(',').flatMap((alt) => expandBraces(`${before}${alt}${after}`)).slice(0, 64);
}

/** The path with symlinks resolved in its existing parent directories (not the last component). */
export function realish(path: string): string {
  const parent = dirname(path);
  let existing = parent;
  const rest: string[] = [];
  while (!existsSync(existing) && existing !== dirname(existing)) {
    rest.unshift(existing.slice(dirname(existing).length).replace(/^\//, ''));
    existing = dirname(existing);
  }
  let real = existing;
  try {
    real = realpathSync(existing);
  } catch {
    // unreadable: keep it as written
  }
  return parent === path ? real : join(real, ...rest, basename(path));
}

export function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/** Device files any command may write to. */
export function isHarmlessTarget(path: string): boolean {
  return ['/dev/null', '/dev/stdout', '/dev/stderr', '/dev/tty'].includes(path) || /^\/dev\/fd\/\d+$/.test(path) || /^\/proc\/self\/fd\/\d+$/.test(path);
}

export function mayWrite(path: string, ctx: GateContext): boolean {
  return isInside(path, ctx.worktree) || (ctx.scratch !== undefined && isInside(path, ctx.scratch)) || isHarmlessTarget(path) || ctx.allowedFiles.includes(path);
}

/** A delete may take anything strictly inside the worktree except its `.git` link. */
export function mayDelete(resolved: Extract<Resolved, { kind: 'path' }>, ctx: GateContext): boolean {
  if (ctx.scratch !== undefined && isInside(resolved.path, ctx.scratch) && (resolved.glob || resolved.path !== ctx.scratch)) return true;
  // A glob at the worktree's root that may match dot files may match .git.
  if (resolved.glob) return isInside(resolved.path, ctx.worktree) && !(resolved.path === ctx.worktree && /^[.[?*]/.test(resolved.pattern ?? '') && !/^\*[^/]*$/.test(resolved.pattern ?? ''));
  if (!isInside(resolved.path, ctx.worktree) || resolved.path === ctx.worktree) return false;
  return !isInside(resolved.path, join(ctx.worktree, '.git'));
}

/** The branch checked out in the repository containing `dir`, if it can be read. */
export function checkedOutBranch(dir: string): string | undefined {
  let current = dir;
  for (;;) {
    const dotGit = join(current, '.git');
    if (existsSync(dotGit)) {
      let gitDir = dotGit;
      try {
        if (statSync(dotGit).isFile()) {
          const pointer = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'));
          if (!pointer) return undefined;
          gitDir = resolve(current, pointer[1]!.trim());
        }
        const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
        return /^ref: refs\/heads\/(.+)$/.exec(head)?.[1];
      } catch {
        return undefined;
      }
    }
    if (current === dirname(current)) return undefined;
    current = dirname(current);
  }
}

/** The gate's context from the hook input and the environment the adapter set. */
export function gateContext(cwd: string, env: NodeJS.ProcessEnv, home: string): GateContext {
  const worktree = resolve(env.NIGHTSHIFT_WORKTREE || cwd);
  const target = (env.NIGHTSHIFT_TARGET_BRANCH ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  const allowedFiles = [env.NIGHTSHIFT_RESULT_FILE, env.NIGHTSHIFT_JOURNAL_FILE].filter((f): f is string => !!f).map((f) => realish(resolve(f)));
  const scratch = env.NIGHTSHIFT_SCRATCH_DIR ? realOrSelf(env.NIGHTSHIFT_SCRATCH_DIR) : undefined;
  const ownBranch = env.NIGHTSHIFT_TICKET && env.NIGHTSHIFT_ROLE !== 'heal' ? `nightshift/${env.NIGHTSHIFT_TICKET}` : undefined;
  return {
    worktree: realOrSelf(worktree), cwd: realOrSelf(cwd), home, protectedBranches: [...new Set([...target, 'main', 'master'])], allowedFiles,
    ...(scratch ? { scratch } : {}), ...(ownBranch ? { ownBranch } : {}), ...(inSandbox(env) ? { sandboxed: true } : {}),
  };
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * Whether this process runs inside nightshift's sandbox: the marker bubblewrap sets, and a user
 * namespace (a uid map other than the host's identity map), which a process outside cannot fake.
 */
export function inSandbox(env: NodeJS.ProcessEnv): boolean {
  if (env.NIGHTSHIFT_SANDBOXED !== 'bwrap') return false;
  try {
    return readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/).join(' ') !== '0 0 4294967295';
  } catch {
    return false;
  }
}
