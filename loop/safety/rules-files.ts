// File rules: deletes and writes stay inside the worktree (recursive deletes whose target cannot be
// told are refused; a plain write to an unknown place is let through), and secrets are not read.
import type { GateContext, Resolved } from './paths.ts';
import { mayDelete, mayWrite, resolveWord } from './paths.ts';
import { hasFlag, optionValues, positionals } from './args.ts';
import type { Invocation } from './invocation.ts';
import { isSecretPath, mentionsSecret } from './secrets.ts';
import type { Word } from './shell.ts';

const SECRET_COMMANDS: Array<[string, RegExp, string]> = [
  ['gh', /^auth token\b/, 'it prints the GitHub token'],
  ['git', /^credential\b/, 'it asks git for stored credentials'],
  ['aws', /^(configure (get|export-credentials)|ecr get-login-password|sts get-session-token)\b/, 'it prints AWS credentials'],
  ['gcloud', /^(auth (application-default )?print-(access|identity)-token)\b/, 'it prints a Google Cloud token'],
  ['az', /^account get-access-token\b/, 'it prints an Azure token'],
  ['kubectl', /^get (secret|secrets)\b/, 'it reads Kubernetes secrets'],
  ['vault', /^(read|kv get|token lookup|print token)\b/, 'it reads secrets from Vault'],
  ['security', /^find-(generic|internet)-password\b/, 'it reads the keychain'],
  ['op', /^(read|item get)\b/, 'it reads 1Password'],
  ['pass', /^show\b/, 'it reads the password store'],
  ['heroku', /^auth:token\b/, 'it prints the Heroku token'],
];

/** Commands whose last positional is where they write (a secret name there is a write, not a read). */
const COPIERS = new Set(['cp', 'mv', 'install', 'ln', 'rsync', 'scp']);

export function checkSecretArgs(command: Invocation, ctx: GateContext): string | undefined {
  const positional = positionals(command.args).map((w) => w.text).join(' ');
  for (const [name, pattern, reason] of SECRET_COMMANDS) if (command.name === name && pattern.test(positional)) return reason;
  if (['touch', 'rm', 'unlink', 'mkdir', 'echo', 'printf'].includes(command.name)) return undefined;
  const skipped = COPIERS.has(command.name) ? positionals(command.args).at(-1) : undefined;
  for (const word of command.args) {
    if (word === skipped) continue;
    const text = word.text.startsWith('-') && word.text.includes('=') ? word.text.slice(word.text.indexOf('=') + 1) : word.text;
    const mentioned = mentionsSecret(word.text);
    if (mentioned) return `it reads ${mentioned}, a credentials or secrets file`;
    const resolved = resolveWord({ ...word, text }, command.state.cwd, ctx);
    const path = resolved.kind === 'path' ? resolved.path : undefined;
    if (resolved.kind === 'unknown' && isSecretPath(text, ctx.home)) return `it reads ${text}, a credentials or secrets file`;
    if ((path && resolved.kind === 'path' && !resolved.glob && isSecretPath(path, ctx.home)) || (word.glob && isSecretPath(text, ctx.home))) return `it reads ${path ?? text}, a credentials or secrets file`;
  }
  if (command.stdin !== undefined) {
    const mentioned = mentionsSecret(command.stdin);
    if (mentioned) return `its input names ${mentioned}, a credentials or secrets file`;
  }
  return undefined;
}

export function checkFiles(command: Invocation, ctx: GateContext): string | undefined {
  const { name, args } = command;
  const where = (word: Word): Resolved => resolveWord(word, command.state.cwd, ctx);
  const deletes = (words: Word[], what: string): string | undefined => {
    for (const word of words) {
      const resolved = where(word);
      if (resolved.kind === 'unknown') return `${what} ${word.text}, and the gate cannot tell where that points; use a literal path inside the worktree`;
      if (!mayDelete(resolved, ctx)) return `${what} ${resolved.path}${resolved.glob ? '/*' : ''}, outside the worktree ${ctx.worktree} (or the worktree itself or its .git)`;
    }
    return undefined;
  };
  const writes = (words: Word[], what = 'it writes to'): string | undefined => {
    for (const word of words) {
      const resolved = where(word);
      if (resolved.kind === 'path' && !mayWrite(resolved.path, ctx)) return `${what} ${resolved.path}, outside the worktree ${ctx.worktree}`;
    }
    return undefined;
  };
  const files = positionals(args);
  switch (name) {
    case 'rm': {
      if (hasFlag(args, 'rR', ['--recursive'])) return deletes(files, 'it deletes recursively');
      return writes(files, 'it deletes');
    }
    case 'rmdir': case 'unlink': case 'shred': case 'touch': case 'mkdir': case 'mkfifo': case 'mknod': case 'truncate':
      return writes(positionals(args, ['-s', '--size', '-r', '--reference', '-m', '--mode', '-n', '--iterations', '-d', '-t']), 'it changes');
    case 'chmod': case 'chown': case 'chgrp': {
      const targets = hasFlag(args, '', ['--reference']) ? files : files.slice(1);
      if (hasFlag(args, 'R', ['--recursive'])) return deletes(targets, 'it changes recursively');
      return writes(targets, 'it changes');
    }
    case 'tee':
      return writes(files);
    case 'cp': case 'mv': case 'install': case 'ln': case 'rsync': case 'scp': {
      const withValue = ['-t', '--target-directory', '-S', '--suffix', '-m', '--mode', '-o', '--owner', '-g', '--group', '-e', '--rsh', '--exclude', '--include', '-P', '-i', '-F'];
      const explicit = optionValues(args, ['-t', '--target-directory']);
      const operands = positionals(args, withValue);
      const destination = explicit.length > 0 ? explicit : operands.slice(-1);
      const remote = [...destination, ...(name === 'mv' ? operands : [])].find((w) => /^[\w.-]+@?[\w.-]*:/.test(w.text) && !w.text.startsWith('/'));
      if (remote && (name === 'rsync' || name === 'scp')) return `it copies to another machine (${remote.text})`;
      if (name === 'rsync' && hasFlag(args, '', ['--delete', '--delete-before', '--delete-after', '--delete-during', '--remove-source-files'])) {
        return deletes(destination, 'it deletes files under') ?? writes(destination);
      }
      const sources = name === 'mv' && explicit.length === 0 ? operands.slice(0, -1) : name === 'mv' ? operands : [];
      return writes(destination) ?? writes(sources, 'it moves away');
    }
    case 'sed': case 'perl': {
      if (!hasFlag(args, 'i', ['--in-place']) && !args.some((a) => /^-[a-zA-Z]*i/.test(a.text))) return undefined;
      const scripted = optionValues(args, ['-e', '--expression', '-f', '--file']).length > 0;
      const operands = positionals(args, ['-e', '--expression', '-f', '--file', '-l', '--line-length']);
      return writes(scripted ? operands : operands.slice(1));
    }
    case 'dd':
      return writes(args.filter((a) => a.text.startsWith('of=')).map((a) => ({ ...a, text: a.text.slice(3) })));
    case 'tar': {
      const extracting = args.some((a) => /^-?[a-zA-Z]*x/.test(a.text) && !a.text.startsWith('--')) || hasFlag(args, '', ['--extract', '--get']);
      const dirs = optionValues(args, ['-C', '--directory']);
      if (extracting) return writes(dirs);
      return writes(optionValues(args, ['-f', '--file']));
    }
    case 'unzip':
      return writes(optionValues(args, ['-d']));
    case 'curl':
      return writes([...optionValues(args, ['-o', '--output', '--output-dir'])]);
    case 'wget':
      return writes(optionValues(args, ['-O', '--output-document', '-P', '--directory-prefix']));
    case 'find': {
      if (!args.some((a) => a.text === '-delete')) return undefined;
      const roots = args.slice(0, Math.max(0, args.findIndex((a) => /^[-(!]/.test(a.text))));
      // Without a test that narrows what it matches, find -delete empties the whole tree (.git included).
      const narrowed = args.some((a) => /^-(i?name|i?path|i?wholename|i?regex|type|newer\w*|[amc]time|[amc]min|size|empty|user|group|perm|links|inum|samefile|lname|ilname)$/.test(a.text));
      if (!narrowed) return deletes(roots.length > 0 ? roots : [{ text: '.', dynamic: false, glob: false, tilde: false, subs: [], vars: [] }], 'find -delete with no test empties');
      for (const root of roots) {
        const resolved = where(root);
        if (resolved.kind === 'unknown') return `find -delete under ${root.text}, and the gate cannot tell where that points`;
        if (!mayWrite(resolved.path, ctx)) return `find -delete under ${resolved.path}, outside the worktree ${ctx.worktree}`;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
