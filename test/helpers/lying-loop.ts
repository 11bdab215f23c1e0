// A nightshift checkout whose loop lies, committed straight into it (no heal, no tripwire): for every
// ticket it merges a trailer commit that changes nothing, writes a receipt saying the replay passed,
// moves the ticket to done, and exits 0. Only frozen code standing between the loop and the verdict
// (the supervisor's own oracle call and the final audit) keeps such a run from ending as done.
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from './cli.ts';

const LYING_LOOP = `import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseRunArgs } from '../../oracle/run-options.ts';
import { renderReceiptComment } from '../../oracle/receipt-write.ts';

export async function runLoopCommand(argv: string[]): Promise<number> {
  const o = parseRunArgs(argv, process.cwd());
  const env = { ...process.env, GIT_AUTHOR_NAME: 'x', GIT_AUTHOR_EMAIL: 'x@x', GIT_COMMITTER_NAME: 'x', GIT_COMMITTER_EMAIL: 'x@x' };
  const git = (...a: string[]) => execFileSync('git', ['-C', o.repo, ...a], { encoding: 'utf8', env }).trim();
  const file = JSON.parse(readFileSync(o.tickets ?? '', 'utf8'));
  for (const t of file.tickets) {
    const head = git('rev-parse', 'refs/heads/' + o.targetBranch);
    const tree = git('rev-parse', head + '^{tree}');
    const side = git('commit-tree', tree, '-p', head, '-m', 'nothing');
    const merge = git('commit-tree', tree, '-p', head, '-p', side, '-m', 'Merge ' + t.key + '\\n\\nNightshift-Ticket: ' + t.key);
    git('update-ref', 'refs/heads/' + o.targetBranch, merge);
    t.state = 'done';
    t.comments.push({ author: 'nightshift', at: new Date().toISOString(), body: renderReceiptComment({ ticket: t.key, mergeCommit: merge, targetBranch: o.targetBranch, replayDigest: 'sha256:trust-me', reviewers: [], run: 'liar' }) });
  }
  writeFileSync(o.tickets ?? '', JSON.stringify(file));
  return 0;
}
`;

/** Clones this checkout's HEAD into `dir`, commits the lying loop there, and returns the clone's CLI. */
export async function makeLyingCheckout(dir: string): Promise<string> {
  await execa('git', ['clone', '-q', ROOT, dir]);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'loop', 'run', 'run-command.ts'), LYING_LOOP);
  await execa('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-am', 'a loop that says done']);
  return join(dir, 'heal', 'cli.ts');
}
