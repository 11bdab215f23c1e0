// Reading one shell word for the safety gate: quote removal (\, '', "", $''), expansions kept as
// written and flagged (parameters, arithmetic, command and process substitution, with their bodies
// collected for a recursive check), globs, brace patterns and a leading tilde.
/** A word after quote removal. Expansions stay as written (`$HOME`, `$(...)`), flagged `dynamic`. */
export type Word = {
  text: string;
  /** Holds a parameter expansion, command substitution or arithmetic: the value is unknown here. */
  dynamic: boolean;
  /** Holds an unquoted glob or brace pattern. */
  glob: boolean;
  /** Starts with an unquoted `~`. */
  tilde: boolean;
  /** Bodies of `$(...)`, backquotes and `<(...)`/`>(...)`, to check as scripts of their own. */
  subs: string[];
  /** Names of the variables it expands. */
  vars: string[];
};

export class ShellSyntaxError extends Error {}

const META = new Set([' ', '\t', '\n', ';', '&', '|', '<', '>', '(', ')']);

export function newWord(): Word {
  return { text: '', dynamic: false, glob: false, tilde: false, subs: [], vars: [] };
}

/** Reads one word starting at `i`; returns it and the index after it. */
export function readWord(src: string, start: number): [Word, number] {
  const word = newWord();
  let i = start;
  if (src[i] === '~') word.tilde = true;
  while (i < src.length) {
    const c = src[i]!;
    if ((c === '<' || c === '>') && src[i + 1] === '(') {
      const end = matchParen(src, i + 2);
      word.subs.push(src.slice(i + 2, end));
      word.text += src.slice(i, end + 1);
      word.dynamic = true;
      i = end + 1;
      continue;
    }
    if (META.has(c)) break;
    if (c === '\\') {
      if (src[i + 1] === '\n') { i += 2; continue; }
      word.text += src[i + 1] ?? '';
      i += 2;
      continue;
    }
    if (c === "'") {
      const end = src.indexOf("'", i + 1);
      if (end === -1) throw new ShellSyntaxError('unterminated single quote');
      word.text += src.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (c === '$' && src[i + 1] === "'") {
      let j = i + 2;
      let raw = '';
      while (j < src.length && src[j] !== "'") {
        if (src[j] === '\\') { raw += src.slice(j, j + 2); j += 2; } else raw += src[j++];
      }
      if (j >= src.length) throw new ShellSyntaxError("unterminated $'...' quote");
      word.text += decodeAnsiC(raw);
      i = j + 1;
      continue;
    }
    if (c === '"') {
      i = readDoubleQuoted(src, i + 1, word);
      continue;
    }
    if (c === '$' || c === '`') {
      i = readExpansion(src, i, word);
      continue;
    }
    if (c === '*' || c === '?' || c === '[' || (c === '{' && /^\{[^}\s]*[,.][^}\s]*\}/.test(src.slice(i)))) word.glob = true;
    if (c === '=' && /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?$/.test(word.text) && src[i + 1] === '(') {
      const end = matchParen(src, i + 2); // an array assignment a=(x y)
      word.text += src.slice(i, end + 1);
      for (const sub of findSubs(src.slice(i + 2, end))) word.subs.push(sub);
      i = end + 1;
      continue;
    }
    word.text += c;
    i++;
  }
  return [word, i];
}

function readDoubleQuoted(src: string, start: number, word: Word): number {
  let i = start;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '"') return i + 1;
    if (c === '\\') {
      const next = src[i + 1] ?? '';
      if (next === '\n') { i += 2; continue; }
      word.text += '$`"\\'.includes(next) ? next : `\\${next}`;
      i += 2;
      continue;
    }
    if (c === '$' || c === '`') { i = readExpansion(src, i, word); continue; }
    word.text += c;
    i++;
  }
  throw new ShellSyntaxError('unterminated double quote');
}

/** `$(...)`, `$((...))`, `${...}`, `$NAME`, `$1`, `$?`, or a backquoted command at `i`. */
function readExpansion(src: string, i: number, word: Word): number {
  if (src[i] === '`') {
    let j = i + 1;
    let body = '';
    while (j < src.length && src[j] !== '`') {
      if (src[j] === '\\' && '`$\\'.includes(src[j + 1] ?? '')) { body += src[j + 1]; j += 2; } else body += src[j++];
    }
    if (j >= src.length) throw new ShellSyntaxError('unterminated backquote');
    word.subs.push(body);
    word.text += src.slice(i, j + 1);
    word.dynamic = true;
    return j + 1;
  }
  const next = src[i + 1];
  if (next === '(') {
    const arithmetic = src[i + 2] === '(';
    const end = matchParen(src, i + 2);
    const body = src.slice(i + 2, end);
    if (arithmetic) for (const sub of findSubs(body)) word.subs.push(sub);
    else word.subs.push(body);
    word.text += src.slice(i, end + 1);
    word.dynamic = true;
    return end + 1;
  }
  if (next === '{') {
    const end = matchBrace(src, i + 2);
    const body = src.slice(i + 2, end);
    const name = /^[#!]?([A-Za-z_][A-Za-z0-9_]*|\d+|[@*?#$!-])/.exec(body);
    if (name) word.vars.push(name[1]!);
    for (const sub of findSubs(body)) word.subs.push(sub);
    word.text += src.slice(i, end + 1);
    word.dynamic = true;
    return end + 1;
  }
  const name = /^([A-Za-z_][A-Za-z0-9_]*|\d|[@*?#$!-])/.exec(src.slice(i + 1));
  if (name) {
    word.vars.push(name[1]!);
    word.text += `$${name[1]}`;
    word.dynamic = true;
    return i + 1 + name[1]!.length;
  }
  word.text += '$';
  return i + 1;
}

/** Index of the `)` closing a `(` whose content starts at `start`, skipping quotes and nesting. */
function matchParen(src: string, start: number): number {
  return matchClosing(src, start, '(', ')');
}

function matchBrace(src: string, start: number): number {
  return matchClosing(src, start, '{', '}');
}

function matchClosing(src: string, start: number, open: string, close: string): number {
  let depth = 1;
  let i = start;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') { i += 2; continue; }
    if (c === "'") {
      const end = src.indexOf("'", i + 1);
      if (end === -1) break;
      i = end + 1;
      continue;
    }
    if (c === '"') {
      i = readDoubleQuoted(src, i + 1, newWord());
      continue;
    }
    if (c === '`') {
      const scratch = newWord();
      i = readExpansion(src, i, scratch);
      continue;
    }
    if (c === '$' && (src[i + 1] === '(' || src[i + 1] === '{')) {
      i = (src[i + 1] === '(' ? matchParen(src, i + 2) : matchBrace(src, i + 2)) + 1;
      continue;
    }
    if (c === open) depth++;
    if (c === close && --depth === 0) return i;
    i++;
  }
  throw new ShellSyntaxError(`unterminated ${open}...${close}`);
}

/** Command substitutions anywhere in a text (outside single quotes). */
export function findSubs(text: string): string[] {
  const word = newWord();
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\') { i += 2; continue; }
    if (c === "'") { const end = text.indexOf("'", i + 1); i = end === -1 ? text.length : end + 1; continue; }
    if (c === '$' || c === '`') {
      try { i = readExpansion(text, i, word); } catch { i++; }
      continue;
    }
    i++;
  }
  return word.subs;
}

function decodeAnsiC(raw: string): string {
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?' };
  return raw.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|u[0-9a-fA-F]{1,4}|.)/g, (_, esc: string) => {
    if (esc.startsWith('x') || esc.startsWith('u')) return String.fromCodePoint(parseInt(esc.slice(1), 16));
    if (/^[0-7]+$/.test(esc)) return String.fromCodePoint(parseInt(esc, 8));
    return simple[esc] ?? `\\${esc}`;
  });
}
