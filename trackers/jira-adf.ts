// Plain comment and description text to and from Atlassian Document Format, the rich-text JSON of
// Jira's v3 API. Fenced blocks (```lang ... ```) become code blocks and come back as the same fence,
// line breaks become hard breaks, so a receipt written by nightshift reads back byte for byte.

type AdfNode = { type: string; text?: string; attrs?: Record<string, unknown>; content?: AdfNode[] };
export type AdfDocument = { type: 'doc'; version: 1; content: AdfNode[] };

const FENCE_OPEN = /^```([^`\s]*)\s*$/;

function paragraph(lines: string[]): AdfNode {
  const content: AdfNode[] = [];
  lines.forEach((line, i) => {
    if (i > 0) content.push({ type: 'hardBreak' });
    if (line !== '') content.push({ type: 'text', text: line });
  });
  return { type: 'paragraph', content };
}

/** Text to an ADF document: code fences become codeBlocks, everything else paragraphs with hard breaks. */
export function textToAdf(text: string): AdfDocument {
  const lines = text.split('\n');
  const content: AdfNode[] = [];
  let prose: string[] = [];
  let i = 0;
  const flush = () => {
    if (prose.length > 0) content.push(paragraph(prose));
    prose = [];
  };
  while (i < lines.length) {
    const open = FENCE_OPEN.exec(lines[i] ?? '');
    const close = open ? lines.indexOf('```', i + 1) : -1;
    if (open && close > i) {
      flush();
      const code = lines.slice(i + 1, close).join('\n');
      content.push({
        type: 'codeBlock',
        ...(open[1] ? { attrs: { language: open[1] } } : {}),
        content: code === '' ? [] : [{ type: 'text', text: code }],
      });
      i = close + 1;
      continue;
    }
    prose.push(lines[i] ?? '');
    i++;
  }
  flush();
  return { type: 'doc', version: 1, content };
}

function inline(node: AdfNode): string {
  if (node.type === 'text') return node.text ?? '';
  if (node.type === 'hardBreak') return '\n';
  if (node.type === 'mention' || node.type === 'emoji') return String(node.attrs?.text ?? '');
  if (node.type === 'inlineCard') return String(node.attrs?.url ?? '');
  return (node.content ?? []).map(inline).join('');
}

function block(node: AdfNode): string {
  switch (node.type) {
    case 'codeBlock': {
      const code = (node.content ?? []).map(inline).join('');
      return `\`\`\`${String(node.attrs?.language ?? '')}\n${code === '' ? '' : `${code}\n`}\`\`\``;
    }
    case 'paragraph':
    case 'heading':
      return (node.content ?? []).map(inline).join('');
    case 'bulletList':
    case 'orderedList':
      return (node.content ?? []).map((item) => `- ${(item.content ?? []).map(block).join('\n')}`).join('\n');
    default:
      return node.content ? node.content.map((c) => (c.type === 'text' || c.type === 'hardBreak' ? inline(c) : block(c))).join('\n') : inline(node);
  }
}

/** An ADF document (or a plain string from an older API) back to text; unknown nodes keep their text. */
export function adfToText(doc: unknown): string {
  if (doc === null || doc === undefined) return '';
  if (typeof doc === 'string') return doc;
  const content = (doc as { content?: unknown }).content;
  if (!Array.isArray(content)) return '';
  return (content as AdfNode[]).map(block).join('\n');
}
