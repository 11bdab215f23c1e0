// The shell tokenizer of the safety gate, after POSIX "Token Recognition" (XCU 2.3) plus the bash forms
// agents use: quotes ('', "", $''), backslashes, $(...), `...`, <(...), ${...}, here-documents and
// here-strings, fd-numbered redirections. It keeps what the rules need and a shell would lose: which
// parts of a word came from an expansion, and the bodies of command substitutions (checked recursively).
// Words are read in lex-word.ts. sh-syntax (mvdan/sh) is the syntax gate (see shell.ts), but its JSON
// AST carries no node types, so the structure comes from here.
import { ShellSyntaxError, readWord } from './lex-word.ts';
import type { Word } from './lex-word.ts';

export { ShellSyntaxError, findSubs } from './lex-word.ts';
export type { Word } from './lex-word.ts';

export type Token =
  | { t: 'word'; word: Word }
  | { t: 'op'; op: string }
  | { t: 'redir'; op: string; fd?: number; heredoc?: { body: string; expand: boolean } };

const OPERATORS = ['&&', '||', ';;&', ';;', ';&', '|&', '&>>', '&>', '<<<', '<<-', '<<', '<>', '<&', '>>', '>|', '>&', ';', '|', '&', '(', ')', '<', '>', '\n'];
const REDIRECTS = new Set(['&>>', '&>', '<<<', '<<-', '<<', '<>', '<&', '>>', '>|', '>&', '<', '>']);

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  const pendingHeredocs: Array<{ token: Extract<Token, { t: 'redir' }>; delimiter?: Word; quoted?: boolean }> = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t') { i++; continue; }
    if (c === '\\' && src[i + 1] === '\n') { i += 2; continue; }
    if (c === '#') { while (i < src.length && src[i] !== '\n') i++; continue; }
    if (c === '\n' && pendingHeredocs.length > 0) {
      i++;
      for (const pending of pendingHeredocs.splice(0)) {
        const delimiter = pending.delimiter?.text ?? '';
        const strip = pending.token.op === '<<-';
        const lines: string[] = [];
        for (;;) {
          if (i >= src.length) break;
          const end = src.indexOf('\n', i);
          const line = src.slice(i, end === -1 ? src.length : end);
          i = end === -1 ? src.length : end + 1;
          if ((strip ? line.replace(/^\t+/, '') : line) === delimiter) break;
          lines.push(line);
        }
        pending.token.heredoc = { body: lines.join('\n'), expand: !pending.quoted };
      }
      tokens.push({ t: 'op', op: '\n' });
      continue;
    }
    const fd = /^(\d+)[<>]/.exec(src.slice(i, i + 12));
    const op = OPERATORS.find((o) => src.startsWith(o, fd ? i + fd[1]!.length : i));
    if (op && (fd ? REDIRECTS.has(op) : true) && !((op === '<' || op === '>') && src[i + 1] === '(' && !fd)) {
      i += (fd ? fd[1]!.length : 0) + op.length;
      if (REDIRECTS.has(op)) {
        const token: Extract<Token, { t: 'redir' }> = { t: 'redir', op, ...(fd ? { fd: Number(fd[1]) } : {}) };
        tokens.push(token);
        if (op === '<<' || op === '<<-') {
          while (src[i] === ' ' || src[i] === '\t') i++;
          const start = i;
          const [word, next] = readWord(src, i);
          i = next;
          tokens.push({ t: 'word', word });
          pendingHeredocs.push({ token, delimiter: word, quoted: /['"\\]/.test(src.slice(start, next)) });
        }
      } else {
        tokens.push({ t: 'op', op });
      }
      continue;
    }
    const [word, next] = readWord(src, i);
    if (next === i) throw new ShellSyntaxError(`cannot read the command at offset ${i}`);
    i = next;
    tokens.push({ t: 'word', word });
  }
  return tokens;
}
