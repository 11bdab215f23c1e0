// The JQL the Jira simulator understands: AND/OR/NOT, parentheses, `=`, `!=`, `in`, `not in`, `~`, and
// ORDER BY, over key/issuekey, project, labels, status, summary and issue.property[key].path, and
// `updated >= | > | <= | <` a date ("yyyy/MM/dd HH:mm", "yyyy-MM-dd HH:mm", "yyyy-MM-dd", in the user's
// time zone: the simulator's user is in UTC) or a relative time ("-5m", "-2h", "-1d"). Like Jira,
// it rejects a key that does not exist and a field it does not know, with Jira's error messages.

export type JqlIssue = {
  key: string; project: string; labels: string[]; status: string; summary: string;
  properties: Record<string, unknown>;
  /** Jira's time of the issue's last update (`2026-12-05T03:10:00.000+0000`). */
  updated: string;
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
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(!=|>=|<=|[=(),~<>])|([A-Za-z0-9_.\-[\]]+))/gy;
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

/** A JQL date or relative time as ms since the epoch (minute precision, UTC), or undefined. */
function jqlTime(text: string, now: number): number | undefined {
  const relative = /^-(\d+)([mhdw])$/.exec(text.trim());
  if (relative) return now - Number(relative[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[relative[2] as 'm' | 'h' | 'd' | 'w'];
  const absolute = /^(\d{4})[/-](\d{2})[/-](\d{2})(?: (\d{2}):(\d{2}))?$/.exec(text.trim());
  if (!absolute) return undefined;
  const [, y, mo, d, h = '00', mi = '00'] = absolute;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi));
}

export function compileJql(jql: string, keyExists: (key: string) => boolean, now: () => number = Date.now): CompiledJql {
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
      case 'updated': return (issue) => [issue.updated];
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
    if (op === '>=' || op === '>' || op === '<=' || op === '<') {
      i++;
      const raw = value();
      const at = jqlTime(raw, now());
      if (at === undefined) throw new JqlError([`Date value '${raw}' for field '${name.text}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.`]);
      const cmp = (t: number) => (op === '>=' ? t >= at : op === '>' ? t > at : op === '<=' ? t <= at : t < at);
      return (x) => get(x).some((have) => cmp(Date.parse(have.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))));
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
