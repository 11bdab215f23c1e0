// The JQL the Jira simulator understands: AND/OR/NOT, parentheses, `=`, `!=`, `in`, `not in`, `~`, and
// ORDER BY, over key/issuekey, project, labels, status, summary and issue.property[key].path. Like Jira,
// it rejects a key that does not exist and a field it does not know, with Jira's error messages.

export type JqlIssue = {
  key: string; project: string; labels: string[]; status: string; summary: string;
  properties: Record<string, unknown>;
};
export type CompiledJql = { match: (issue: JqlIssue) => boolean; orderBy: { field: string; desc: boolean } | undefined };
export class JqlError extends Error {
  readonly messages: string[];
  constructor(messages: string[]) {
    super(messages.join(' '));
    this.messages = messages;
  }
}

type Token = { kind: 'word' | 'string' | 'punct'; text: string };

function tokenize(jql: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(!=|[=(),~])|([A-Za-z0-9_.\-[\]]+))/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < jql.length && (m = re.exec(jql))) {
    at = re.lastIndex;
    if (m[1] !== undefined || m[2] !== undefined) tokens.push({ kind: 'string', text: (m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1') });
    else if (m[3] !== undefined) tokens.push({ kind: 'punct', text: m[3] });
    else if (m[4] !== undefined) tokens.push({ kind: 'word', text: m[4] });
  }
  if (jql.slice(at).trim() !== '') throw new JqlError([`Error in the JQL Query: unexpected character at position ${at}.`]);
  return tokens;
}

type Pred = (issue: JqlIssue) => boolean;

export function compileJql(jql: string, keyExists: (key: string) => boolean): CompiledJql {
  const tokens = tokenize(jql);
  const problems: string[] = [];
  let i = 0;
  const peek = () => tokens[i];
  const isWord = (text: string) => peek()?.kind === 'word' && peek()?.text.toUpperCase() === text;
  const expect = (text: string) => {
    if (peek()?.text.toUpperCase() !== text) throw new JqlError([`Error in the JQL Query: Expecting '${text}' but got '${peek()?.text ?? 'end of query'}'.`]);
    i++;
  };
  const value = (): string => {
    const t = tokens[i++];
    if (!t || t.kind === 'punct') throw new JqlError([`Error in the JQL Query: Expecting a value but got '${t?.text ?? 'end of query'}'.`]);
    return t.text;
  };
  const values = (): string[] => {
    expect('(');
    const list = [value()];
    while (peek()?.text === ',') { i++; list.push(value()); }
    expect(')');
    return list;
  };

  function field(name: string): (issue: JqlIssue) => string[] {
    const lower = name.toLowerCase();
    const property = /^issue\.property\[([^\]]+)\]\.(.+)$/.exec(name);
    if (property) {
      return (issue) => {
        let v: unknown = issue.properties[property[1] ?? ''];
        for (const part of (property[2] ?? '').split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
        return v === undefined ? [] : [String(v)];
      };
    }
    switch (lower) {
      case 'key': case 'issuekey': case 'id': return (issue) => [issue.key];
      case 'project': return (issue) => [issue.project];
      case 'labels': return (issue) => issue.labels;
      case 'status': return (issue) => [issue.status];
      case 'summary': return (issue) => [issue.summary];
      default:
        problems.push(`Field '${name}' does not exist or you do not have permission to view it.`);
        return () => [];
    }
  }

  function clause(): Pred {
    const name = tokens[i++];
    if (!name || name.kind === 'punct') throw new JqlError([`Error in the JQL Query: Expecting a field name but got '${name?.text ?? 'end of query'}'.`]);
    const get = field(name.text);
    const isKey = ['key', 'issuekey'].includes(name.text.toLowerCase());
    const eq = (a: string, b: string) => (isKey || name.text.toLowerCase() === 'project' ? a.toUpperCase() === b.toUpperCase() : a === b);
    const checkKeys = (keys: string[]) => {
      if (isKey) for (const k of keys) if (!keyExists(k.toUpperCase())) problems.push(`An issue with key '${k}' does not exist for field 'key'.`);
    };
    const op = peek()?.text.toUpperCase();
    if (op === '=' || op === '!=') {
      i++;
      const v = value();
      checkKeys([v]);
      return op === '=' ? (x) => get(x).some((have) => eq(have, v)) : (x) => !get(x).some((have) => eq(have, v));
    }
    if (op === '~') {
      i++;
      const v = value().toLowerCase();
      return (x) => get(x).some((have) => have.toLowerCase().includes(v));
    }
    if (op === 'IN' || op === 'NOT') {
      i++;
      if (op === 'NOT') expect('IN');
      const list = values();
      checkKeys(list);
      const any: Pred = (x) => get(x).some((have) => list.some((v) => eq(have, v)));
      return op === 'IN' ? any : (x) => !any(x);
    }
    throw new JqlError([`Error in the JQL Query: Expecting operator but got '${peek()?.text ?? 'end of query'}'.`]);
  }

  function unary(): Pred {
    if (isWord('NOT')) { i++; const inner = unary(); return (x) => !inner(x); }
    if (peek()?.text === '(') { i++; const inner = or(); expect(')'); return inner; }
    return clause();
  }
  function and(): Pred {
    const parts = [unary()];
    while (isWord('AND')) { i++; parts.push(unary()); }
    return (x) => parts.every((p) => p(x));
  }
  function or(): Pred {
    const parts = [and()];
    while (isWord('OR')) { i++; parts.push(and()); }
    return (x) => parts.some((p) => p(x));
  }

  const match = tokens.length === 0 || isWord('ORDER') ? () => true : or();
  let orderBy: CompiledJql['orderBy'];
  if (isWord('ORDER')) {
    i++;
    expect('BY');
    const f = value();
    let desc = false;
    if (isWord('ASC') || isWord('DESC')) desc = tokens[i++]?.text.toUpperCase() === 'DESC';
    orderBy = { field: f.toLowerCase(), desc };
  }
  if (i < tokens.length) throw new JqlError([`Error in the JQL Query: unexpected '${tokens[i]?.text}'.`]);
  if (problems.length > 0) throw new JqlError(problems);
  return { match, orderBy };
}
