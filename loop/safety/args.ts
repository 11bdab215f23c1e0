// Small readers of a command's arguments: its positional words and its flags (short clusters like
// `-rf`, long options with `=value`), without a per-tool option table beyond the options that take a value.
import type { Word } from './shell.ts';

/** Words that are not options, skipping the values of `withValue` options; all words after `--`. */
export function positionals(args: Word[], withValue: readonly string[] = []): Word[] {
  const out: Word[] = [];
  for (let i = 0; i < args.length; i++) {
    const text = args[i]!.text;
    if (text === '--') return [...out, ...args.slice(i + 1)];
    if (text.startsWith('-') && text !== '-') {
      if (withValue.includes(text)) i++;
      continue;
    }
    out.push(args[i]!);
  }
  return out;
}

/** Whether a short letter (in any cluster such as `-rf`) or a long option (with or without `=`) is present. */
export function hasFlag(args: Word[], short: string, long: readonly string[] = []): boolean {
  for (const { text } of args) {
    if (text === '--') return false;
    if (text.startsWith('--')) {
      if (long.includes(text.split('=')[0]!)) return true;
    } else if (short && /^-[a-zA-Z0-9]+$/.test(text) && [...short].some((letter) => text.slice(1).includes(letter))) {
      return true;
    }
  }
  return false;
}

/** The value of an option: `-o FILE`, `-oFILE`, `--output FILE` or `--output=FILE`. */
export function optionValues(args: Word[], names: readonly string[]): Word[] {
  const values: Word[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    for (const name of names) {
      if (word.text === name && args[i + 1]) values.push(args[i + 1]!);
      else if (name.startsWith('--') && word.text.startsWith(`${name}=`)) values.push({ ...word, text: word.text.slice(name.length + 1) });
      else if (!name.startsWith('--') && name.length === 2 && word.text.startsWith(name) && word.text.length > 2 && !word.text.startsWith('--')) values.push({ ...word, text: word.text.slice(2) });
    }
  }
  return values;
}
