// The agent's own view of its worktree's repository. Git writes a ref through `<ref>.lock` and a rename
// in the ref's directory, and its reflog under logs/, so a bind of one ref file cannot confine it.
// Instead the worktree's admin dir (`<common>/worktrees/<name>`, where its `.git` file points) is
// covered, inside the sandbox only, by a private git dir: a copy of HEAD, the index, config and
// info/exclude, every ref as a snapshot in packed-refs, and an empty object dir whose alternate is the
// real object store (read-only there). The agent may commit, reset and move any ref of that view; none
// of it reaches the real repository. After the pass the loop (outside) takes exactly one thing back:
// the worktree's own branch, fetched from the view (index-pack checks every object) after the view's
// config is replaced by a blank one, plus the index so the worktree's status stays what the agent left.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { inflateSync } from 'node:zlib';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { captureProcess } from '../process/subprocess.ts';
import { listRefs } from './view-refs.ts';

export type GitView = {
  /** The private git dir, bound over `adminDir` in the sandbox. */
  dir: string;
  adminDir: string;
  commonDir: string;
  /** The branch the worktree had checked out (`refs/heads/...`), and its head then. */
  branch: string | undefined;
  startHead: string | undefined;
};

/** The worktree's admin and common dirs when its `.git` is a gitfile (a linked worktree), else undefined. */
export function linkedWorktree(cwd: string): { adminDir: string; commonDir: string } | undefined {
  const dotGit = join(cwd, '.git');
  try {
    if (!statSync(dotGit).isFile()) return undefined;
  } catch {
    return undefined;
  }
  const match = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8'));
  if (!match?.[1]) return undefined;
  const adminDir = resolve(cwd, match[1]);
  const commonFile = join(adminDir, 'commondir');
  if (!existsSync(commonFile)) return undefined;
  const common = readFileSync(commonFile, 'utf8').trim();
  return { adminDir, commonDir: isAbsolute(common) ? common : resolve(adminDir, common) };
}

const HEX = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Makes the private git dir for a worktree, under `parent`; undefined when cwd is no linked worktree. */
export async function openGitView(cwd: string, parent: string, env: NodeJS.ProcessEnv): Promise<GitView | undefined> {
  const linked = linkedWorktree(cwd);
  if (!linked) return undefined;
  const { adminDir, commonDir } = linked;
  const refs = await listRefs(commonDir, env);
  const dir = mkdtempSync(join(parent, 'git-view-'));
  mkdirSync(join(dir, 'objects', 'info'), { recursive: true });
  mkdirSync(join(dir, 'refs', 'heads'), { recursive: true });
  mkdirSync(join(dir, 'refs', 'tags'), { recursive: true });
  mkdirSync(join(dir, 'info'), { recursive: true });
  writeFileSync(join(dir, 'objects', 'info', 'alternates'), `${join(commonDir, 'objects')}\n`);
  writeFileSync(join(dir, 'packed-refs'), refs.stdout);
  const head = readFileSync(join(adminDir, 'HEAD'), 'utf8');
  writeFileSync(join(dir, 'HEAD'), head);
  copyIfThere(join(adminDir, 'index'), join(dir, 'index'));
  copyIfThere(join(commonDir, 'config'), join(dir, 'config'));
  copyIfThere(join(commonDir, 'info', 'exclude'), join(dir, 'info', 'exclude'));
  copyIfThere(join(commonDir, 'shallow'), join(dir, 'shallow'));
  const branch = /^ref:\s*(refs\/heads\/\S+)/.exec(head)?.[1];
  const startHead = branch ? refs.stdout.split('\n').find((line) => line.endsWith(` ${branch}`))?.split(' ')[0] : undefined;
  return { dir, adminDir, commonDir, branch, startHead };
}

function copyIfThere(from: string, to: string): void {
  if (existsSync(from)) copyFileSync(from, to);
}

/** The view's head of `ref` (a loose ref, else packed-refs), read as text: nothing of the agent runs. */
function viewHead(view: GitView, ref: string): string | undefined {
  try {
    const loose = readFileSync(join(view.dir, ref), 'utf8').trim();
    return HEX.test(loose) ? loose : undefined;
  } catch {
    // not loose: packed
  }
  const packed = existsSync(join(view.dir, 'packed-refs')) ? readFileSync(join(view.dir, 'packed-refs'), 'utf8') : '';
  const hit = packed.split('\n').find((line) => line.endsWith(` ${ref}`))?.split(' ')[0];
  return hit && HEX.test(hit) ? hit : undefined;
}

export type TakeBack = { kind: 'unchanged' } | { kind: 'moved'; from: string | undefined; to: string } | { kind: 'failed'; detail: string };

/**
 * Brings the branch the worktree had checked out back from the view into the real repository (only a
 * `refs/heads/nightshift/...` branch), and the index with it. The agent's new objects are loose files in
 * the view (it wrote nothing else there unless it packed them): each is copied into the real store only
 * if its content hashes to its name, then git checks that everything the new head reaches is there
 * (`rev-list --verify-objects`), and the branch moves by a compare-and-swap from where it was. Two git
 * processes, where a `git fetch` from the view took five (about 70 ms of a pass). A view with packs is
 * fetched from, its config, alternates and any commondir replaced first, so the fetch reads nothing the
 * agent chose but objects and refs.
 */
export async function takeBackBranch(view: GitView, env: NodeJS.ProcessEnv): Promise<TakeBack> {
  const { branch } = view;
  if (!branch?.startsWith('refs/heads/nightshift/')) return { kind: 'unchanged' };
  const to = viewHead(view, branch);
  if (existsSync(join(view.dir, 'index'))) {
    const staged = join(view.adminDir, 'index.nightshift-sandbox');
    copyFileSync(join(view.dir, 'index'), staged);
    renameSync(staged, join(view.adminDir, 'index'));
  }
  if (!to || to === view.startHead) return { kind: 'unchanged' };
  const copied = copyLooseObjects(join(view.dir, 'objects'), join(view.commonDir, 'objects'));
  if (copied.kind === 'packed') return fetchBack(view, branch, to, env);
  const git = (args: string[], kind: string) => captureProcess('git', ['--git-dir', view.commonDir, ...args], { cwd: view.commonDir, env, kind });
  const reach = await git(['rev-list', '--objects', '--verify-objects', '--quiet', to, '--not', ...(view.startHead ? [view.startHead] : ['--all']), '--'], 'git:rev-list');
  if (reach.exitCode !== 0) return { kind: 'failed', detail: `the branch's new head ${to.slice(0, 12)} reaches objects the view does not hold intact: ${lastLines(reach.stderr)}` };
  const moved = await git(['update-ref', '-m', 'nightshift: the branch back from the sandbox', branch, to, view.startHead ?? ''], 'git:update-ref');
  if (moved.exitCode !== 0) return { kind: 'failed', detail: lastLines(moved.stderr) };
  return { kind: 'moved', from: view.startHead, to };
}

/**
 * The branch's head in a view still in use (the agent runs), its new objects copied into the real store
 * the checked way `takeBackBranch` does (each only if it hashes to its name, then `rev-list
 * --verify-objects` over what the head reaches beyond `since`). Nothing of the view is changed and no ref
 * of the real repository moves: the caller records the head where it likes. Undefined when the head did
 * not move, is not whole yet, or the view holds packs (only a fetch reads those, and it rewrites the
 * view's config, which it may not do while the agent runs).
 */
export async function peekViewHead(viewDir: string, commonDir: string, branch: string, since: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const view: GitView = { dir: viewDir, adminDir: '', commonDir, branch, startHead: since };
  const head = viewHead(view, branch);
  if (!head || head === since) return undefined;
  if (copyLooseObjects(join(viewDir, 'objects'), join(commonDir, 'objects')).kind === 'packed') return undefined;
  const reach = await captureProcess('git', ['--git-dir', commonDir, 'rev-list', '--objects', '--verify-objects', '--quiet', head, '--not', since, '--'], { cwd: commonDir, env, kind: 'git:rev-list' });
  return reach.exitCode === 0 ? head : undefined;
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' ');
}

async function fetchBack(view: GitView, branch: string, to: string, env: NodeJS.ProcessEnv): Promise<TakeBack> {
  for (const name of ['commondir', 'gitdir', 'hooks']) rmSync(join(view.dir, name), { recursive: true, force: true });
  writeFileSync(join(view.dir, 'config'), '[core]\n\trepositoryformatversion = 0\n\tbare = true\n');
  mkdirSync(join(view.dir, 'objects', 'info'), { recursive: true });
  writeFileSync(join(view.dir, 'objects', 'info', 'alternates'), `${join(view.commonDir, 'objects')}\n`);
  const fetched = await captureProcess('git', [
    '--git-dir', view.commonDir, '-c', 'protocol.file.allow=always', '-c', 'gc.auto=0', '-c', 'maintenance.auto=false', 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--update-head-ok',
    view.dir, `+${branch}:${branch}`,
  ], { cwd: view.commonDir, env, kind: 'git:fetch' });
  if (fetched.exitCode !== 0) return { kind: 'failed', detail: lastLines(fetched.stderr) };
  return { kind: 'moved', from: view.startHead, to };
}

const LOOSE_DIR = /^[0-9a-f]{2}$/;
const LOOSE_REST = /^([0-9a-f]{38}|[0-9a-f]{62})$/;
const OBJECT_TYPES = new Set(['blob', 'tree', 'commit', 'tag']);

/**
 * Copies the view's loose objects into the real store, each only if its content is what its name says
 * (zlib, `<type> <size>\0`, sha-1 or sha-256 of it): an object already there is never replaced, a file
 * that is not an intact object is left behind (the reach check then finds it missing if it mattered).
 * `packed`: the view holds packs too (the agent ran gc or repack), which only a fetch reads.
 */
export function copyLooseObjects(from: string, to: string): { kind: 'copied'; count: number } | { kind: 'packed' } {
  let names: string[];
  try {
    names = readdirSync(from);
  } catch {
    return { kind: 'copied', count: 0 };
  }
  try {
    if (readdirSync(join(from, 'pack')).some((name) => name.endsWith('.pack'))) return { kind: 'packed' };
  } catch {
    // no pack dir
  }
  let count = 0;
  for (const dir of names.filter((name) => LOOSE_DIR.test(name))) {
    let files: string[];
    try {
      files = readdirSync(join(from, dir));
    } catch {
      continue;
    }
    for (const rest of files.filter((name) => LOOSE_REST.test(name))) {
      const target = join(to, dir, rest);
      if (existsSync(target)) continue;
      const source = join(from, dir, rest);
      let raw: Buffer;
      try {
        if (!lstatSync(source).isFile()) continue;
        raw = readFileSync(source);
      } catch {
        continue;
      }
      if (!intactObject(raw, dir + rest)) continue;
      mkdirSync(join(to, dir), { recursive: true });
      const staged = join(to, dir, `tmp_obj_nightshift_${process.pid}_${rest}`);
      writeFileSync(staged, raw, { mode: 0o444 });
      try {
        linkSync(staged, target);
        count++;
      } catch {
        // there meanwhile: git's own copy stands
      } finally {
        rmSync(staged, { force: true });
      }
    }
  }
  return { kind: 'copied', count };
}

function intactObject(raw: Buffer, name: string): boolean {
  let inflated: Buffer;
  try {
    inflated = inflateSync(raw);
  } catch {
    return false;
  }
  const nul = inflated.indexOf(0);
  if (nul < 0 || nul > 32) return false;
  const [type, size] = inflated.subarray(0, nul).toString('latin1').split(' ');
  if (!type || !OBJECT_TYPES.has(type) || size !== String(inflated.length - nul - 1)) return false;
  return createHash(name.length === 40 ? 'sha1' : 'sha256').update(inflated).digest('hex') === name;
}

/**
 * Removes the view off the event loop (node's thread pool): 29 files and dirs after a one-commit pass,
 * whose removal kept the loop's thread blocked for 22 ms a ticket on a slow disk (the 200-ticket bench's
 * CPU profile), while other passes waited for answers.
 */
export async function closeGitView(view: GitView): Promise<void> {
  await rm(view.dir, { recursive: true, force: true });
}

/** The directory the view is made in: beside the agent's result file (the pass's own dir). */
export function viewParent(resultFile: string): string {
  return dirname(resultFile);
}
