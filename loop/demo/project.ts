// The sample project of `nightshift demo`: a tiny text library whose tests exist before the code, and
// the tickets that build it, with a dependency graph and real verify commands.

const test = (name: string, body: string) => `import { test } from 'node:test';
import assert from 'node:assert/strict';
${body.trim()}
`.replace('__NAME__', name);

export const demoFiles: Record<string, string> = {
  'package.json': `{
  "name": "textkit",
  "version": "0.1.0",
  "type": "module",
  "scripts": { "test": "node --test" }
}
`,
  '.gitignore': 'node_modules/\n',
  'test/words.test.mjs': test('words', `
import { words } from '../lib/words.mjs';
test('splits on punctuation and spaces', () => assert.deepEqual(words('Hello, World! 42x'), ['Hello', 'World', '42x']));
test('keeps accented letters', () => assert.deepEqual(words('café crème'), ['café', 'crème']));
test('empty text has no words', () => assert.deepEqual(words(''), []));`),
  'test/slugify.test.mjs': test('slugify', `
import { slugify } from '../lib/slugify.mjs';
test('lower case with dashes', () => assert.equal(slugify('Hello, World!'), 'hello-world'));
test('strips accents', () => assert.equal(slugify('Crème Brûlée'), 'creme-brulee'));`),
  'test/title-case.test.mjs': test('titleCase', `
import { titleCase } from '../lib/title-case.mjs';
test('small words stay small', () => assert.equal(titleCase('the lord of the rings'), 'The Lord of the Rings'));`),
  'test/camel-case.test.mjs': test('camelCase', `
import { camelCase } from '../lib/camel-case.mjs';
test('joins words', () => assert.equal(camelCase('user account id'), 'userAccountId'));`),
  'test/kebab-case.test.mjs': test('kebabCase', `
import { kebabCase } from '../lib/kebab-case.mjs';
test('splits camel humps', () => assert.equal(kebabCase('userAccountId'), 'user-account-id'));
test('lower-cases words', () => assert.equal(kebabCase('User Account ID'), 'user-account-id'));`),
  'test/truncate.test.mjs': test('truncate', `
import { truncate } from '../lib/truncate.mjs';
test('short text is kept', () => assert.equal(truncate('night', 10), 'night'));
test('the ellipsis counts toward the limit', () => assert.equal(truncate('nightshift', 6), 'night…'));
test('never longer than max', () => assert.ok(truncate('a'.repeat(50), 12).length <= 12));`),
  'test/word-count.test.mjs': test('wordCount', `
import { wordCount } from '../lib/word-count.mjs';
test('counts words', () => assert.equal(wordCount('one, two; three'), 3));`),
  'test/index.test.mjs': test('index', `
import * as textkit from '../lib/index.mjs';
test('exports every helper', () => {
  for (const name of ['words', 'slugify', 'titleCase', 'camelCase', 'kebabCase', 'truncate', 'wordCount']) {
    assert.equal(typeof textkit[name], 'function', name);
  }
});`),
  'test/cli.test.mjs': test('cli', `
import { execFileSync } from 'node:child_process';
const run = (...args) => execFileSync(process.execPath, ['bin/textkit.mjs', ...args], { encoding: 'utf8' }).trim();
test('slugify from the command line', () => assert.equal(run('slugify', 'Hello World'), 'hello-world'));
test('count from the command line', () => assert.equal(run('count', 'a b c'), '3'));`),
  'checks/readme.mjs': `import { readFileSync } from 'node:fs';
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const missing = ['words', 'slugify', 'titleCase', 'camelCase', 'kebabCase', 'truncate', 'wordCount', 'textkit'].filter((n) => !readme.includes(n));
if (missing.length > 0) {
  console.error('README.md does not document: ' + missing.join(', '));
  process.exit(1);
}
console.log('README documents everything');
`,
};

type DemoTicket = { title: string; description: string; verify: string[]; blockedBy: number[]; labels?: string[] };

const tickets: DemoTicket[] = [
  { title: 'Split text into words', description: 'Add `words(text)` in lib/words.mjs: the runs of letters and digits, accents kept.', verify: ['node --test test/words.test.mjs'], blockedBy: [] },
  { title: 'Slugify titles for URLs', description: 'Add `slugify(text)` in lib/slugify.mjs on top of `words`: ASCII, lower case, dashes.', verify: ['node --test test/slugify.test.mjs'], blockedBy: [1] },
  { title: 'Title Case headings', description: 'Add `titleCase(text)` in lib/title-case.mjs; small words stay lower case except first.', verify: ['node --test test/title-case.test.mjs'], blockedBy: [1] },
  { title: 'camelCase identifiers', description: 'Add `camelCase(text)` in lib/camel-case.mjs.', verify: ['node --test test/camel-case.test.mjs'], blockedBy: [1] },
  { title: 'kebab-case identifiers', description: 'Add `kebabCase(text)` in lib/kebab-case.mjs, splitting camel humps.', verify: ['node --test test/kebab-case.test.mjs'], blockedBy: [1] },
  { title: 'Truncate long text with an ellipsis', description: 'Add `truncate(text, max)` in lib/truncate.mjs; the result, ellipsis included, is never longer than max.', verify: ['node --test test/truncate.test.mjs'], blockedBy: [] },
  { title: 'Count words', description: 'Add `wordCount(text)` in lib/word-count.mjs.', verify: ['node --test test/word-count.test.mjs'], blockedBy: [1] },
  { title: 'One entry point for the library', description: 'Add lib/index.mjs exporting every helper.', verify: ['node --test test/index.test.mjs'], blockedBy: [2, 3, 4, 5, 6, 7] },
  { title: 'A textkit command line', description: 'Add bin/textkit.mjs: `textkit slugify|title|camel|kebab|count <text>`.', verify: ['node --test test/cli.test.mjs'], blockedBy: [8] },
  { title: 'Document the library in the README', description: 'Write README.md with every helper and the command line.', verify: ['node checks/readme.mjs', 'npm test --silent'], blockedBy: [9] },
];

export const DEMO_PROJECT = 'DEMO';
export const DEMO_BATCH = `DEMO-1..DEMO-${tickets.length}`;

export function demoTickets(): { project: string; tickets: unknown[] } {
  return {
    project: DEMO_PROJECT,
    tickets: tickets.map((t, i) => ({
      key: `DEMO-${i + 1}`,
      title: t.title,
      description: `${t.description}\n\n\`\`\`verify\n${t.verify.join('\n')}\n\`\`\``,
      state: 'todo',
      labels: t.labels ?? [],
      blockedBy: t.blockedBy.map((n) => `DEMO-${n}`),
      comments: [],
    })),
  };
}
