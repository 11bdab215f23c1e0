// Comments and descriptions cross Jira as ADF: what nightshift writes must read back byte for byte
// (the oracle parses receipts from the text), and what a person writes in Jira must read as text.
import { expect, test } from 'vitest';
import { adfToText, textToAdf } from '../../trackers/jira-adf.ts';

test.each([
  '',
  'one line',
  'two\nlines',
  'trailing newline\n',
  'a\n\n\nb\n',
  'Merged.\n\n```nightshift-receipt\n{"version":1,"ticket":"ENG-1"}\n```',
  '```verify\nnpm test\nnpm run lint\n```\ntext after',
  '```\nno language\n```\n\n```sh\nsecond\n```',
  '```verify\n```',
  'Human-gated: needs a person\n\nEvidence:\n\n(none given)',
  '```unclosed\nstays text',
])('round trip %j', (text) => {
  expect(adfToText(textToAdf(text))).toBe(text);
});

test('a code fence becomes a codeBlock with its language, lines become hard breaks', () => {
  expect(textToAdf('a\nb\n```verify\nnpm test\n```')).toEqual({
    type: 'doc', version: 1, content: [
      { type: 'paragraph', content: [{ type: 'text', text: 'a' }, { type: 'hardBreak' }, { type: 'text', text: 'b' }] },
      { type: 'codeBlock', attrs: { language: 'verify' }, content: [{ type: 'text', text: 'npm test' }] },
    ],
  });
});

test('rich text written by a person reads as plain text', () => {
  const doc = {
    type: 'doc', version: 1, content: [
      { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Goal' }] },
      { type: 'paragraph', content: [{ type: 'text', text: 'Ask ' }, { type: 'mention', attrs: { id: 'x', text: '@Ada' } }, { type: 'text', text: ' first.', marks: [{ type: 'strong' }] }] },
      { type: 'bulletList', content: [{ type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'one' }] }] }] },
    ],
  };
  expect(adfToText(doc)).toBe('Goal\nAsk @Ada first.\n- one');
  expect(adfToText(null)).toBe('');
  expect(adfToText('plain v2 text')).toBe('plain v2 text');
});
