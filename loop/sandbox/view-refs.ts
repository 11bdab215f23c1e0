// The refs a sandboxed agent's private git view starts with (loop/sandbox/git-view.ts), read from the
// repository's own ref files where they are plain, else from git.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { captureProcess } from '../process/subprocess.ts';

/**
 * Every ref of the repository as `git for-each-ref --format='%(objectname) %(refname)'` lists them (sorted
 * by name, a symbolic ref as the id it leads to, one that leads nowhere left out), read from its files
 * without a git process (about 11 ms of CPU a pass): the loose refs under `refs/`, then packed-refs for
 * the names not loose (git reads them in that order). Git is asked where the files are not plain: a
 * reftable repository, a ref file that is no id or symbolic ref, a name git would not accept. One
 * difference: a ref naming an object the store lacks is listed (git drops it with a warning), so the
 * agent's git warns of it as the real repository's would.
 */
export async function listRefs(commonDir: string, env: NodeJS.ProcessEnv): Promise<{ stdout: string }> {
  const read = readRefFiles(commonDir);
  if (read !== undefined) return { stdout: read };
  const refs = await captureProcess('git', ['--git-dir', commonDir, 'for-each-ref', '--format=%(objectname) %(refname)'], { cwd: commonDir, env, kind: 'git:for-each-ref' });
  if (refs.exitCode !== 0) throw new Error(`cannot list the refs of ${commonDir}: ${refs.stderr.trim()}`);
  return { stdout: refs.stdout };
}

/** A ref name component git accepts (check-ref-format's rules, conservatively: anything unusual goes to git). */
const REF_COMPONENT = /^(?!\.)(?!.*\.\.)(?!.*@\{)(?!.*\.lock$)[^\0-\x20\x7f~^:?*[\\]+$/;

/** More loose refs than this (an unpacked mirror's tags) are left to git: their reads would hold the loop's thread. */
const LOOSE_REFS_READ = 2_000;

function readRefFiles(commonDir: string): string | undefined {
  try {
    const config = existsSync(join(commonDir, 'config')) ? readFileSync(join(commonDir, 'config'), 'utf8') : '';
    if (/refstorage/i.test(config) || !statSync(join(commonDir, 'refs')).isDirectory()) return undefined;
    const ids = new Map<string, string>();
    const symbolic = new Map<string, string>();
    const walk = (dir: string, prefix: string): boolean => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (!REF_COMPONENT.test(entry.name)) return false;
        const name = `${prefix}/${entry.name}`;
        if (entry.isDirectory()) {
          if (!walk(join(dir, entry.name), name)) return false;
        } else if (entry.isFile()) {
          if (ids.size + symbolic.size >= LOOSE_REFS_READ) return false;
          const text = readFileSync(join(dir, entry.name), 'utf8');
          const id = /^([0-9a-f]{40}|[0-9a-f]{64})\n?$/.exec(text)?.[1];
          const to = /^ref: (refs\/\S+)\n?$/.exec(text)?.[1];
          if (id) ids.set(name, id);
          else if (to) symbolic.set(name, to);
          else return false;
        } else {
          return false;
        }
      }
      return true;
    };
    if (!walk(join(commonDir, 'refs'), 'refs')) return undefined;
    const packedFile = join(commonDir, 'packed-refs');
    const packed = existsSync(packedFile) ? readFileSync(packedFile, 'utf8') : '';
    for (const line of packed.split('\n')) {
      if (line === '' || line.startsWith('#') || line.startsWith('^')) continue;
      const match = /^([0-9a-f]{40}|[0-9a-f]{64}) (refs\/\S+)$/.exec(line);
      if (!match?.[1] || !match[2]) return undefined;
      if (!ids.has(match[2]) && !symbolic.has(match[2])) ids.set(match[2], match[1]);
    }
    const follow = (name: string): string | undefined => {
      let at = name;
      for (let depth = 0; depth < 5; depth++) {
        const id = ids.get(at);
        if (id) return id;
        const next = symbolic.get(at);
        if (!next) return undefined;
        at = next;
      }
      return undefined;
    };
    const names = [...ids.keys(), ...symbolic.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return names.flatMap((name) => {
      const id = follow(name);
      return id ? [`${id} ${name}\n`] : [];
    }).join('');
  } catch {
    return undefined;
  }
}
