// What the scripted demo worker writes for each demo ticket, keyed by ticket title. A stand-in for a
// model: real files, real commits, and one first attempt that is wrong on purpose (truncate).

export const solutions = {
  'Split text into words': {
    'lib/words.mjs': `/** Splits text into words: runs of letters and digits (accents kept). */
export function words(text) {
  return String(text).normalize('NFC').match(/[\\p{L}\\p{N}]+/gu) ?? [];
}
`,
  },
  'Slugify titles for URLs': {
    'lib/slugify.mjs': `import { words } from './words.mjs';

/** "Héllo, World!" -> "hello-world": ASCII, lower case, dashes. */
export function slugify(text) {
  const ascii = String(text).normalize('NFKD').replace(/[\\u0300-\\u036f]/g, '');
  return words(ascii).map((w) => w.toLowerCase()).join('-');
}
`,
  },
  'Title Case headings': {
    'lib/title-case.mjs': `import { words } from './words.mjs';

const SMALL = new Set(['a', 'an', 'and', 'of', 'the', 'to', 'in', 'on', 'or']);

/** "the lord of the rings" -> "The Lord of the Rings". */
export function titleCase(text) {
  return words(text)
    .map((w, i) => (i > 0 && SMALL.has(w.toLowerCase()) ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1).toLowerCase()))
    .join(' ');
}
`,
  },
  'camelCase identifiers': {
    'lib/camel-case.mjs': `import { words } from './words.mjs';

/** "user account id" -> "userAccountId". */
export function camelCase(text) {
  return words(text)
    .map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1).toLowerCase()))
    .join('');
}
`,
  },
  'kebab-case identifiers': {
    'lib/kebab-case.mjs': `import { words } from './words.mjs';

/** "userAccountId" or "User Account ID" -> "user-account-id". */
export function kebabCase(text) {
  const split = String(text).replace(/([a-z0-9])([A-Z])/g, '$1 $2');
  return words(split).map((w) => w.toLowerCase()).join('-');
}
`,
  },
  'Truncate long text with an ellipsis': {
    first: {
      'lib/truncate.mjs': `/** Cuts text to at most max characters, ending with an ellipsis when cut. */
export function truncate(text, max) {
  const s = String(text);
  return s.length <= max ? s : s.slice(0, max) + '…';
}
`,
    },
    'lib/truncate.mjs': `/** Cuts text to at most max characters, ending with an ellipsis when cut. */
export function truncate(text, max) {
  const s = String(text);
  if (s.length <= max) return s;
  if (max <= 0) return '';
  return s.slice(0, max - 1).trimEnd() + '…';
}
`,
  },
  'Count words': {
    'lib/word-count.mjs': `import { words } from './words.mjs';

/** The number of words in text. */
export function wordCount(text) {
  return words(text).length;
}
`,
  },
  'One entry point for the library': {
    'lib/index.mjs': `export { words } from './words.mjs';
export { slugify } from './slugify.mjs';
export { titleCase } from './title-case.mjs';
export { camelCase } from './camel-case.mjs';
export { kebabCase } from './kebab-case.mjs';
export { truncate } from './truncate.mjs';
export { wordCount } from './word-count.mjs';
`,
  },
  'A textkit command line': {
    'bin/textkit.mjs': `#!/usr/bin/env node
import * as textkit from '../lib/index.mjs';

const [command, ...rest] = process.argv.slice(2);
const fn = { slugify: textkit.slugify, title: textkit.titleCase, camel: textkit.camelCase, kebab: textkit.kebabCase, count: textkit.wordCount };
if (!command || !(command in fn)) {
  console.error('usage: textkit slugify|title|camel|kebab|count <text>');
  process.exit(2);
}
console.log(fn[command](rest.join(' ')));
`,
    discovered: [
      {
        blocks: ['DEMO-10'],
        title: 'Register the textkit command in package.json',
        description:
          'Activation gap found while building the command line: bin/textkit.mjs is merged but not live, because package.json has no "bin" entry, so `npx textkit` finds nothing.\n\n```verify\nnode checks/bin-registered.mjs\n```',
      },
    ],
  },
  'Register the textkit command in package.json': {
    'package.json': `{
  "name": "textkit",
  "version": "0.1.0",
  "type": "module",
  "bin": { "textkit": "bin/textkit.mjs" },
  "scripts": { "test": "node --test" }
}
`,
    'checks/bin-registered.mjs': `import { readFileSync } from 'node:fs';
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
if (pkg.bin?.textkit !== 'bin/textkit.mjs') {
  console.error('package.json does not register bin/textkit.mjs as "textkit"');
  process.exit(1);
}
console.log('textkit is registered');
`,
  },
  'Document the library in the README': {
    'README.md': `# textkit

Small text helpers, built overnight by nightshift.

| function | example |
| --- | --- |
| \`words\` | \`words("Hello, World")\` -> \`["Hello", "World"]\` |
| \`slugify\` | \`slugify("Héllo World")\` -> \`hello-world\` |
| \`titleCase\` | \`titleCase("the lord of the rings")\` -> \`The Lord of the Rings\` |
| \`camelCase\` | \`camelCase("user account id")\` -> \`userAccountId\` |
| \`kebabCase\` | \`kebabCase("userAccountId")\` -> \`user-account-id\` |
| \`truncate\` | \`truncate("nightshift", 6)\` -> \`night…\` |
| \`wordCount\` | \`wordCount("one two")\` -> \`2\` |

Command line: \`textkit slugify|title|camel|kebab|count <text>\`.
`,
  },
};
