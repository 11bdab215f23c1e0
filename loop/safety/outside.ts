// The post-pass check for agents that run without our hooks (codex in its sandbox, gemini): nothing
// outside the ticket's worktree changed. It compares the repository's branches and tags and the main
// checkout's working tree before and after a pass. Ticket branches (`nightshift/*`) may move, since
// other workers and the loop move them; the target branch may only move forward (the loop merges into
// it), never be rewound, rewritten or deleted.
/** A repository to run git in (simple-git or the loop's own runner). */
type SimpleGit = { raw(args: string[]): Promise<string> };

export type OutsideSnapshot = { refs: Record<string, string>; status: string };

export async function snapshotOutside(repo: SimpleGit): Promise<OutsideSnapshot> {
  // the two reads side by side: each is a git process of its own
  const [listed, status] = await Promise.all([
    repo.raw(['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads', 'refs/tags']),
    repo.raw(['status', '--porcelain=v1', '--untracked-files=all']),
  ]);
  const refs = Object.fromEntries(listed.split('\n').filter(Boolean).map((line) => line.split(' ') as [string, string]));
  return { refs, status };
}

/**
 * What changed outside the worktree, one line each (empty: nothing). `loopMoved`: what the caller
 * knows of the target's moves (the loop's own merges, and its undoing of a foreign move), asked before
 * git is: a move it made is not the pass's. `madeElsewhere`: whether a commit is another ticket's work
 * (its branch holds it), so that a branch or tag created or moved to it is that ticket's pass's doing,
 * not this one's, when several agents run at once.
 */
export async function outsideChanges(repo: SimpleGit, before: OutsideSnapshot, after: OutsideSnapshot, targetBranch: string, loopMoved?: (older: string, newer: string) => boolean, madeElsewhere?: (commit: string) => Promise<boolean>): Promise<string[]> {
  const problems: string[] = [];
  const target = `refs/heads/${targetBranch}`;
  for (const [ref, old] of Object.entries(before.refs)) {
    const now = after.refs[ref];
    if (now === old) continue;
    if (now === undefined) {
      if (!ref.startsWith('refs/heads/nightshift/')) problems.push(`${ref} was deleted`);
    } else if (ref === target) {
      if (!loopMoved?.(old, now) && !(await isAncestor(repo, old, now))) problems.push(`${targetBranch} was rewritten: ${old.slice(0, 12)} is no longer in its history`);
    } else if (!ref.startsWith('refs/heads/nightshift/') && !await madeElsewhere?.(now)) {
      problems.push(`${ref} moved from ${old.slice(0, 12)} to ${now.slice(0, 12)}`);
    }
  }
  for (const [ref, now] of Object.entries(after.refs)) {
    if (!(ref in before.refs) && !ref.startsWith('refs/heads/nightshift/') && !await madeElsewhere?.(now)) problems.push(`${ref} was created`);
  }
  if (after.status !== before.status) problems.push(`the main checkout's working tree changed:\n${after.status.trim().split('\n').slice(0, 10).map((l) => `  ${l}`).join('\n')}`);
  return problems;
}

async function isAncestor(repo: SimpleGit, older: string, newer: string): Promise<boolean> {
  try {
    // merge-base rather than --is-ancestor: simple-git does not reject on a silent non-zero exit
    return (await repo.raw(['merge-base', older, newer])).trim() === older;
  } catch {
    return false;
  }
}
