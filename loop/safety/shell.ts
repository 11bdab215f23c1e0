// Parses a shell command for the safety gate: lists (`;`, `&&`, `||`, `&`, newlines) of pipelines of
// simple commands or subshells, with redirections and here-documents attached. Compound keywords
// (if/then/while/for/case/{ }) are read through: what matters is every simple command that may run.
// sh-syntax (mvdan/sh, the bash parser of shfmt) checks the syntax first; text it rejects is reported
// as unparseable rather than guessed at.
import { parse as parseWithMvdan } from 'sh-syntax';
import { ShellSyntaxError, tokenize } from './lex.ts';
import type { Token, Word } from './lex.ts';

export type { Word } from './lex.ts';
export { ShellSyntaxError } from './lex.ts';

export type Redirect = { op: string; fd?: number; target: Word; heredoc?: { body: string; expand: boolean } };

export type SimpleCommand = { kind: 'simple'; assigns: Word[]; words: Word[]; redirects: Redirect[] };
export type Subshell = { kind: 'subshell'; body: Script; redirects: Redirect[] };
export type Command = SimpleCommand | Subshell;
/** Commands joined by `|`: each one may read what the one before it wrote. */
export type Pipeline = Command[];
/** Pipelines in the order they may run. */
export type Script = Pipeline[];

const SKIPPED_KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', 'esac', '{', '}', '!', '[[', 'function']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;

/** Checks the syntax with mvdan/sh, then builds the command structure. Throws ShellSyntaxError. */
export async function parseShell(src: string): Promise<Script> {
  try {
    await parseWithMvdan(src);
  } catch (error) {
    throw new ShellSyntaxError((error as Error).message.split('\n')[0] ?? 'syntax error');
  }
  return parseTokens(src);
}

/** Builds the structure without the mvdan/sh syntax check (for text already checked). */
export function parseTokens(src: string): Script {
  const parser = new Parser(tokenize(src));
  const script = parser.script(null);
  if (!parser.done()) throw new ShellSyntaxError(`unexpected ${parser.describeNext()}`);
  return script;
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  done(): boolean {
    return this.i >= this.tokens.length;
  }

  describeNext(): string {
    const token = this.tokens[this.i];
    if (!token) return 'end of command';
    return token.t === 'word' ? `word "${token.word.text}"` : `"${token.op}"`;
  }

  private isOp(op: string): boolean {
    const token = this.tokens[this.i];
    return token?.t === 'op' && token.op === op;
  }

  /** Pipelines until `close` (or the end). */
  script(close: string | null): Script {
    const script: Script = [];
    while (!this.done()) {
      const token = this.tokens[this.i]!;
      if (token.t === 'op') {
        if (close !== null && token.op === close) return script;
        if (token.op === ')') throw new ShellSyntaxError('unbalanced ")"');
        if (token.op === ';;' || token.op === ';&' || token.op === ';;&') { this.i++; this.skipCasePatterns(); continue; }
        if (token.op !== '(') { this.i++; continue; } // ; & && || newline: separators
      }
      const pipeline = this.pipeline();
      if (pipeline.length > 0) script.push(pipeline);
    }
    if (close !== null) throw new ShellSyntaxError(`missing "${close}"`);
    return script;
  }

  private pipeline(): Pipeline {
    const commands: Command[] = [];
    for (;;) {
      const command = this.command();
      if (command) commands.push(command);
      if (this.isOp('|') || this.isOp('|&')) { this.i++; continue; }
      return commands;
    }
  }

  private command(): Command | null {
    if (this.isOp('(')) {
      this.i++;
      const body = this.script(')');
      this.i++;
      return { kind: 'subshell', body, redirects: this.redirects() };
    }
    const command: SimpleCommand = { kind: 'simple', assigns: [], words: [], redirects: [] };
    while (!this.done()) {
      const token = this.tokens[this.i]!;
      if (token.t === 'op') {
        // `name() { ...; }`: a function definition; its body is read as ordinary commands.
        if (token.op === '(' && command.words.length === 1 && this.tokens[this.i + 1]?.t === 'op') {
          this.i += 2;
          command.words = [];
          continue;
        }
        if (token.op === '(' && command.words.length === 0) return this.command();
        break;
      }
      if (token.t === 'redir') {
        command.redirects.push(this.redirect());
        continue;
      }
      this.i++;
      const { word } = token;
      if (command.words.length === 0) {
        if (ASSIGNMENT.test(word.text)) { command.assigns.push(word); continue; }
        if (SKIPPED_KEYWORDS.has(word.text)) continue;
        if (word.text === 'for' || word.text === 'select') { this.skipHeader(command); continue; }
        if (word.text === 'case') { this.skipCaseHeader(command); continue; }
      }
      command.words.push(word);
    }
    // `esac`, `;;` and pattern `)` inside case are consumed by the case reader.
    if (command.words.length === 0 && command.assigns.length === 0 && command.redirects.length === 0) return null;
    return command;
  }

  private redirect(): Redirect {
    const token = this.tokens[this.i++] as Extract<Token, { t: 'redir' }>;
    const target = this.tokens[this.i];
    if (target?.t !== 'word') throw new ShellSyntaxError(`redirection ${token.op} has no target`);
    this.i++;
    return { op: token.op, ...(token.fd !== undefined ? { fd: token.fd } : {}), target: target.word, ...(token.heredoc ? { heredoc: token.heredoc } : {}) };
  }

  private redirects(): Redirect[] {
    const redirects: Redirect[] = [];
    while (this.tokens[this.i]?.t === 'redir') redirects.push(this.redirect());
    return redirects;
  }

  /** `for NAME in WORDS` / `for ((...))`: the words are kept as assignments (their substitutions run). */
  private skipHeader(command: SimpleCommand): void {
    while (!this.done()) {
      const token = this.tokens[this.i]!;
      if (token.t === 'op' && (token.op === ';' || token.op === '\n')) return;
      if (token.t === 'word' && token.word.text === 'do') return;
      if (token.t === 'word') command.assigns.push(token.word);
      this.i++;
    }
  }

  /** `case WORD in` and each `PATTERN)`: skipped up to the commands of a branch. */
  private skipCaseHeader(command: SimpleCommand): void {
    while (!this.done()) {
      const token = this.tokens[this.i++]!;
      if (token.t === 'word' && token.word.text === 'in') break;
      if (token.t === 'word') command.assigns.push(token.word);
    }
    this.skipCasePatterns();
  }

  private skipCasePatterns(): void {
    {
      while (this.tokens[this.i]?.t === 'op' && ['\n', ';;', ';&', ';;&'].includes((this.tokens[this.i] as { op: string }).op)) this.i++;
      const token = this.tokens[this.i];
      if (!token || (token.t === 'word' && token.word.text === 'esac')) return;
      // PATTERN [| PATTERN]... )
      let j = this.i;
      if (this.tokens[j]?.t === 'op' && (this.tokens[j] as { op: string }).op === '(') j++;
      while (j < this.tokens.length && !(this.tokens[j]!.t === 'op' && (this.tokens[j] as { op: string }).op === ')')) {
        if (this.tokens[j]!.t === 'op' && (this.tokens[j] as { op: string }).op !== '|') return;
        j++;
      }
      if (j >= this.tokens.length) return;
      this.i = j + 1;
    }
  }
}
