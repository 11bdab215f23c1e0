// Git rules: no force pushes (`-f`, `--force*`, `--mirror`, `+refspec`), no remote deletes, and no
// rewrite of the target branch's history (reset --hard or rebase or amend on it, branch -f/-D/-m of it,
// update-ref of it, filter-branch/filter-repo, reflog expiry). The ticket's own branch is the agent's.
import type { GateContext } from './paths.ts';
import { checkedOutBranch, isInside, mayWrite, resolveWord } from './paths.ts';
import { hasFlag, positionals } from './args.ts';
import type { Invocation } from './invocation.ts';
import type { Word } from './shell.ts';

const GLOBAL_WITH_VALUE = ['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--exec-path', '--config-env'];

export function checkGit(command: Invocation, ctx: GateContext): string | undefined {
  if (command.name !== 'git') return undefined;
  // git's own options come before the subcommand; -C changes the directory it works in.
  let dir = command.state.cwd;
  let i = 0;
  const args = command.args;
  while (i < args.length && args[i]!.text.startsWith('-')) {
    const text = args[i]!.text;
    if (text === '-C' && args[i + 1]) {
      const resolved = resolveWord(args[i + 1]!, dir, ctx);
      dir = resolved.kind === 'path' ? resolved.path : null;
    }
    i += GLOBAL_WITH_VALUE.includes(text) ? 2 : 1;
  }
  const sub = args[i]?.text;
  const rest = args.slice(i + 1);
  const names = positionals(rest, ['-m', '-F', '-C', '-c', '-u', '--message', '--onto', '-X', '--strategy', '-s', '--exec', '-o', '--push-option', '--repo']);
  const branchHere = dir === command.state.cwd && command.state.branch !== undefined ? command.state.branch : dir ? checkedOutBranch(dir) : undefined;
  const isProtected = (name: string | undefined): boolean => {
    if (name === undefined) return false;
    const branch = name.replace(/^(refs\/heads\/|heads\/)/, '');
    if (ctx.protectedBranches.includes(branch)) return true;
    // Another ticket's branch belongs to another worker.
    return ctx.ownBranch !== undefined && branch.startsWith('nightshift/') && branch !== ctx.ownBranch && !branch.startsWith(`${ctx.ownBranch}-`) && !branch.startsWith(`${ctx.ownBranch}/`);
  };
  const onProtected = isProtected(branchHere);
  const target = ctx.protectedBranches[0] ?? 'main';

  // In the sandbox the agent's git writes a private view of the repository, of which the loop takes back
  // only the ticket's own branch: history rewrites inside the worktree (a reset, a branch moved, a reflog
  // expired) cannot reach the target or another ticket. Pushes, clones, worktree removal, and any git
  // pointed at another directory are judged as before.
  if (ctx.sandboxed && dir !== null && isInside(dir, ctx.worktree) && !['push', 'clone', 'worktree', 'config'].includes(sub ?? '')) return undefined;

  switch (sub) {
    case 'push': {
      if (hasFlag(rest, 'f', ['--force', '--force-with-lease', '--force-if-includes', '--mirror'])) return 'it force-pushes; force pushes are never allowed';
      if (hasFlag(rest, 'd', ['--delete', '--prune'])) return 'it deletes branches on the remote';
      const refspec = names.slice(1).find((w) => w.text.startsWith('+') || w.text.startsWith(':'));
      if (refspec) return refspec.text.startsWith('+') ? `it force-pushes with the refspec ${refspec.text}` : `it deletes the remote ref ${refspec.text.slice(1)}`;
      const onto = names.slice(1).find((w) => isProtected(w.text.split(':').at(-1)));
      if (onto) return `it pushes to ${onto.text.split(':').at(-1)}, a branch that is not this ticket's; only the loop merges, after review`;
      return undefined;
    }
    case 'reset':
      if (hasFlag(rest, '', ['--hard', '--merge', '--keep']) && onProtected) return `it resets ${branchHere}, the target branch, with --hard; its history is not yours to rewrite`;
      return undefined;
    case 'branch': {
      const forced = hasFlag(rest, 'fDdMmCc', ['--force', '--delete', '--move', '--copy']);
      const named = names.find((w) => isProtected(w.text));
      if (forced && named) return `it moves, renames or deletes ${named.text}, the target branch or another ticket's`;
      return undefined;
    }
    case 'checkout': case 'switch': {
      const values = rest.map((w) => w.text);
      const forcedAt = values.findIndex((t) => t === '-B' || t === '-C' || t === '--force-create');
      if (forcedAt !== -1 && isProtected(values[forcedAt + 1])) return `it resets the target branch ${values[forcedAt + 1]} to another commit`;
      return undefined;
    }
    case 'update-ref': {
      const ref = names.find((w) => isProtected(w.text));
      return ref ? `it rewrites ${ref.text}, the target branch or another ticket's` : undefined;
    }
    case 'filter-branch': case 'filter-repo':
      return `git ${sub} rewrites history; it is never allowed`;
    case 'rebase': {
      const branchArg = names.filter((w) => !w.text.startsWith('-'))[1];
      if (onProtected && !hasFlag(rest, '', ['--abort', '--continue', '--skip', '--quit'])) return `it rebases ${branchHere}, the target branch`;
      if (branchArg && isProtected(branchArg.text)) return `it rebases ${branchArg.text}, the target branch`;
      return undefined;
    }
    case 'commit':
      return onProtected && hasFlag(rest, '', ['--amend']) ? `it amends a commit of ${branchHere}, the target branch` : undefined;
    case 'reflog':
      return ['expire', 'delete'].includes(names[0]?.text ?? '') ? 'it destroys the reflog, the record that makes history recoverable' : undefined;
    case 'config':
      return hasFlag(rest, '', ['--global', '--system']) && !hasFlag(rest, 'l', ['--get', '--get-all', '--list', '--get-regexp']) && names.length > 1
        ? 'it changes git configuration outside the worktree' : undefined;
    case 'worktree':
      return names[0]?.text === 'remove' ? removesOutside(names.slice(1), dir, ctx) : undefined;
    case 'clone':
      return names[1] ? writesOutside(names[1], dir, ctx) : undefined;
    default:
      return sub === undefined ? undefined : checkTargetMerge(sub, target, onProtected, branchHere);
  }
}

/** `git merge`/`cherry-pick`/`revert` straight onto the target branch is the loop's job, not the agent's. */
function checkTargetMerge(sub: string, _target: string, onProtected: boolean, branch: string | undefined): string | undefined {
  if (onProtected && ['merge', 'cherry-pick', 'revert', 'am', 'pull'].includes(sub)) return `it changes ${branch}, the target branch; work on the ticket's branch`;
  return undefined;
}

function removesOutside(words: Word[], dir: string | null, ctx: GateContext): string | undefined {
  for (const word of words) {
    const resolved = resolveWord(word, dir, ctx);
    if (resolved.kind === 'unknown' || !mayWrite(resolved.path, ctx) || resolved.path === ctx.worktree) return `it removes the worktree ${word.text}; worktrees belong to the loop`;
  }
  return undefined;
}

function writesOutside(word: Word, dir: string | null, ctx: GateContext): string | undefined {
  const resolved = resolveWord(word, dir, ctx);
  return resolved.kind === 'path' && !mayWrite(resolved.path, ctx) ? `it clones into ${resolved.path}, outside the worktree ${ctx.worktree}` : undefined;
}
