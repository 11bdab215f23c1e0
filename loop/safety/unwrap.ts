// Strips the wrappers that run another command (sudo, env, nohup, time, command, exec, nice, timeout,
// xargs, ...) so the rules see the command that really runs. `xargs` adds arguments the gate cannot
// see: they come back as one unknown word.
import type { Word } from './shell.ts';

export type Unwrapped = {
  argv: Word[];
  /** A directory the wrapper changes to (`env -C DIR`). */
  chdir?: Word;
  /** `env` with no command: it prints the whole environment. */
  dumpsEnvironment?: boolean;
  /** `command -v`/`type`-like use: nothing runs. */
  queryOnly?: boolean;
};

/** Options of each wrapper that take a value (short or long). */
const WRAPPERS: Record<string, { withValue: string[]; positionalBefore?: number }> = {
  sudo: { withValue: ['-u', '-g', '-h', '-p', '-C', '-D', '-r', '-t', '-U', '-T', '--user', '--group', '--host', '--prompt', '--chdir'] },
  doas: { withValue: ['-u', '-C'] },
  nohup: { withValue: [] },
  time: { withValue: ['-f', '-o', '--format', '--output'] },
  command: { withValue: [] },
  builtin: { withValue: [] },
  exec: { withValue: ['-a'] },
  nice: { withValue: ['-n', '--adjustment'] },
  ionice: { withValue: ['-c', '-n', '-p', '-P', '-u', '--class', '--classdata'] },
  timeout: { withValue: ['-s', '-k', '--signal', '--kill-after'], positionalBefore: 1 },
  stdbuf: { withValue: ['-i', '-o', '-e', '--input', '--output', '--error'] },
  setsid: { withValue: [] },
  unbuffer: { withValue: [] },
  chronic: { withValue: [] },
  flock: { withValue: ['-w', '-E', '--timeout', '--conflict-exit-code'], positionalBefore: 1 },
  watch: { withValue: ['-n', '-d', '--interval', '--differences'] },
  xargs: { withValue: ['-I', '-L', '-l', '-n', '-P', '-s', '-d', '-E', '-a', '--arg-file', '--delimiter', '--max-args', '--max-procs', '--max-lines', '--replace', '--eof'] },
  env: { withValue: ['-u', '--unset', '-C', '--chdir', '-S', '--split-string'] },
  busybox: { withValue: [] },
};

export function basenameOf(word: Word | undefined): string {
  return (word?.text ?? '').replace(/^.*\//, '');
}

export function unwrap(argv: Word[]): Unwrapped {
  let words = argv;
  let chdir: Word | undefined;
  for (let guard = 0; guard < 16; guard++) {
    const name = basenameOf(words[0]);
    const spec = WRAPPERS[name];
    if (!spec) break;
    let i = 1;
    let replace: string | undefined;
    const xargs = name === 'xargs';
    while (i < words.length) {
      const text = words[i]!.text;
      if (text === '--') { i++; break; }
      if (name === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(text)) { i++; continue; }
      if (!text.startsWith('-') || text === '-') break;
      if (name === 'command' && /^-[a-zA-Z]*[vV]/.test(text)) return { argv: words, queryOnly: true };
      const [flag, inline] = text.startsWith('--') ? [text.split('=')[0]!, text.includes('=')] : [text.slice(0, 2), text.length > 2];
      if (name === 'env' && (flag === '-C' || flag === '--chdir')) chdir = inline ? { ...words[i]!, text: text.replace(/^(-C|--chdir=)/, '') } : words[i + 1];
      if (xargs && (flag === '-I' || flag === '--replace')) replace = inline ? text.replace(/^(-I|--replace=)/, '') : words[i + 1]?.text;
      if (xargs && flag === '-i') replace = text.length > 2 ? text.slice(2) : '{}';
      i += spec.withValue.includes(flag) && !inline ? 2 : 1;
    }
    i += spec.positionalBefore ?? 0;
    const rest = words.slice(i);
    if (name === 'env' && rest.length === 0) return { argv: [], dumpsEnvironment: true, ...(chdir ? { chdir } : {}) };
    if (xargs) {
      const unknown: Word = { text: '<xargs input>', dynamic: true, glob: false, tilde: false, subs: [], vars: ['xargs'] };
      const command = rest.length > 0 ? rest : [{ ...unknown, text: 'echo', dynamic: false, vars: [] }];
      words = replace !== undefined ? command.map((w) => (w.text.includes(replace!) ? unknown : w)) : [...command, unknown];
      continue;
    }
    words = rest;
  }
  return { argv: words, ...(chdir ? { chdir } : {}) };
}
