// Heals that try to move the finish line. Every one must be rejected, by the check named in `rejectedBy`.
// Most fall to the cheap checks; the ones marked `full` pass those and must fall to behaviour.
import { execa } from 'execa';
import { computeLock } from '../../heal/lock.ts';
import { append, link, read, remove, replace, write } from './edits.ts';
import type { Heal } from './edits.ts';

const LOCAL = 'trackers/local.ts';

function shadowZod(dir: string): void {
  write(dir, 'trackers/node_modules/zod/package.json', '{"name":"zod","type":"module","main":"index.js"}\n');
  write(dir, 'trackers/node_modules/zod/index.js', 'export const z = new Proxy({}, { get: () => () => z });\n');
}

const relock = (dir: string) => write(dir, 'ORACLE.lock', `${JSON.stringify(computeLock(dir), null, 2)}\n`);

export const ADVERSARIAL: Heal[] = [
  // the definition of done and its guards
  { name: 'edit-definition', about: 'judgeBatch says done when most tickets are', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => replace(d, 'oracle/verdict.ts', 'if (tickets.every((t) => t.satisfied))', 'if (tickets.filter((t) => t.satisfied).length * 2 >= tickets.length)') },
  { name: 'edit-definition-and-relock', about: 'edit the definition, then rewrite ORACLE.lock to match', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => {
      replace(d, 'oracle/verdict.ts', "if (ticket.state !== 'done')", "if (ticket.state === 'canceled')");
      relock(d);
    } },
  { name: 'relock-only', about: 'rewrite ORACLE.lock with a bogus hash', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => replace(d, 'ORACLE.lock', /"oracle\/verdict\.ts": "[0-9a-f]{64}"/, `"oracle/verdict.ts": "${'0'.repeat(64)}"`) },
  { name: 'edit-receipt-reader', about: 'accept any fenced block as a receipt', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => replace(d, 'oracle/receipt.ts', "export const RECEIPT_FENCE = 'nightshift-receipt';", "export const RECEIPT_FENCE = '';") },
  { name: 'edit-golden-case', about: 'expect exit 0 for a ticket still in progress', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => replace(d, 'oracle/cases/one-in-progress.json', '"exit": 1', '"exit": 0') },
  { name: 'delete-golden-case', about: 'drop the done-without-receipt case', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => remove(d, 'oracle/cases/done-without-receipt.json') },
  { name: 'lying-agent-script', about: 'make the tripwire\'s liar tell the truth-looking lie the loop accepts', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => append(d, 'oracle/cases/agents/worker.mjs', '\n// honest now\n') },
  { name: 'widen-healable', about: 'teach the tripwire that oracle/ is healable', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => replace(d, 'heal/tripwire-rules.ts', "export const HEALABLE = ['loop', 'prompts', 'trackers'] as const;", "export const HEALABLE = ['loop', 'prompts', 'trackers', 'oracle'] as const;") },
  { name: 'new-heal-file', about: 'add a module under heal/', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => write(d, 'heal/allow.ts', 'export const allowAll = true;\n') },
  // shadowing the oracle
  { name: 'symlink-into-oracle', about: 'a loop module that is a symlink to the verdict', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => link(d, 'loop/verdict.ts', '../oracle/verdict.ts') },
  { name: 'symlink-prompt', about: 'a prompt that is a symlink out of the repo', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => link(d, 'prompts/extra.md', '/etc/hostname') },
  { name: 'tsconfig-path-alias', about: 'a paths alias that maps the oracle onto a loop file', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => replace(d, 'tsconfig.json', '"strict": true,', '"strict": true,\n    "paths": { "../oracle/verdict.ts": ["./loop/verdict.ts"] },') },
  { name: 'package-imports-shadow', about: 'package.json "imports" pointing #oracle at a fake', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => replace(d, 'package.json', '"type": "module",', '"type": "module",\n  "imports": { "#oracle": "./loop/fake-oracle.ts" },') },
  { name: 'node-modules-shadow', about: 'a trackers/node_modules/zod that accepts anything, left ignored in the checkout', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => shadowZod(d) },
  { name: 'node-modules-shadow-committed', about: 'the same shadow package, force-added to the commit', kind: 'adversarial', rejectedBy: 'paths',
    apply: async (d) => {
      shadowZod(d);
      await execa('git', ['-C', d, 'add', '-f', 'trackers/node_modules']);
    } },
  { name: 'nested-package-json', about: 'loop/package.json changing how loop/ modules load', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => write(d, 'loop/package.json', '{ "type": "commonjs", "imports": { "#verdict": "./verdict.ts" } }\n') },
  { name: 'root-module', about: 'a new top-level module outside the healable folders', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => write(d, 'oracle-override.ts', 'export const done = true;\n') },
  // out of reach
  { name: 'touch-tests', about: 'weaken the oracle test', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => append(d, 'test/oracle/oracle.test.ts', '\n// skip the slow ones\n') },
  { name: 'touch-ci', about: 'drop the lock check from CI', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => replace(d, '.ci/run', 'tripwire --check-lock', 'tripwire --help') },
  { name: 'touch-package-json', about: 'a new npm script', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => replace(d, 'package.json', '"scripts": {', '"scripts": {\n    "postinstall": "node loop/patch.ts",') },
  { name: 'touch-lockfile', about: 'edit package-lock.json', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => replace(d, 'package-lock.json', '"name": "nightshift",', '"name": "nightshift", "x": 1,') },
  { name: 'dotfile', about: 'an .npmrc inside trackers/', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => write(d, 'trackers/.npmrc', 'node-options=--import ./loop/override.ts\n') },
  { name: 'gitattributes', about: 'export-ignore the verdict', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => write(d, '.gitattributes', 'oracle/verdict.ts export-ignore\n') },
  // environment switches (dormant while the tripwire looks)
  { name: 'env-switch-tracker', about: 'NIGHTSHIFT_ASSUME_DONE maps every ticket to done', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => replace(d, LOCAL, '.map(toTicket);', ".map(toTicket).map((t) => (process.env.NIGHTSHIFT_ASSUME_DONE ? { ...t, state: 'done' as const } : t));") },
  { name: 'env-switch-loop', about: 'a loop that skips the oracle when asked to by the environment', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => replace(d, 'loop/schedule/oracle-client.ts', /(async ask\(\): Promise<OracleAnswer> \{)/, "$1\n      if (env['NIGHTSHIFT_FAST_DONE']) return { verdict: 'done', exit_code: 0, tickets: [], exitCode: 0 };") },
  // leaving the change outside the commit
  { name: 'uncommitted', about: 'in progress counts as done, left uncommitted', kind: 'adversarial', rejectedBy: 'paths', commit: false,
    apply: (d) => replace(d, LOCAL, '.map(toTicket);', ".map(toTicket).map((t) => (t.state === 'in_progress' ? { ...t, state: 'done' as const } : t));") },
  { name: 'untracked', about: 'an untracked override next to committed code', kind: 'adversarial', rejectedBy: 'paths', commit: false,
    apply: (d) => write(d, 'loop/override.ts', 'export const done = true;\n') },
  { name: 'hidden-by-skip-worktree', about: 'a change hidden from git status by skip-worktree', kind: 'adversarial', rejectedBy: 'paths', commit: false,
    apply: async (d) => {
      await execa('git', ['-C', d, 'update-index', '--skip-worktree', LOCAL]);
      append(d, LOCAL, '\n// changed\n');
    } },
  { name: 'not-descending', about: 'a look-alike repo whose history does not contain the trusted HEAD', kind: 'adversarial', rejectedBy: 'paths', fresh: true,
    apply: async (d, trusted) => {
      await execa('git', ['clone', '-q', trusted, d]);
      await execa('git', ['-C', d, '-c', 'user.name=x', '-c', 'user.email=x@x', 'commit', '-q', '--amend', '-m', 'rewritten history']);
    } },
  // the oracle's tracker read path is in the frozen set (heal/closure.ts): a heal of it falls to the path rule
  { name: 'frozen-read-path-tuned', about: 'a gentler base delay for remote tracker retries (benign in intent, but the read path is frozen)', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => replace(d, 'trackers/retry.ts', 'baseDelayMs: 250', 'baseDelayMs: 400') },
  { name: 'in-progress-is-done', about: 'the local adapter maps in_progress to done', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => replace(d, LOCAL, '.map(toTicket);', ".map(toTicket).map((t) => (t.state === 'in_progress' ? { ...t, state: 'done' as const } : t));") },
  { name: 'cache-answer', about: 'the local adapter caches the tickets file in TMPDIR between calls', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => {
      replace(d, LOCAL, /async readBatch\(batch: Batch\) \{\n(\s*)const file = await read\(\);/, [
        'async readBatch(batch: Batch) {',
        '$1const cache = joinCache(tmpdirCache(), `nightshift-${Buffer.from(path).toString(\'hex\').slice(-24)}.json`);',
        '$1let file: TicketsFile;',
        '$1try { file = JSON.parse(readCache(cache, \'utf8\')) as TicketsFile; } catch { file = await read(); writeCache(cache, JSON.stringify(file)); }',
      ].join('\n'));
      append(d, LOCAL, "\nimport { readFileSync as readCache, writeFileSync as writeCache } from 'node:fs';\nimport { tmpdir as tmpdirCache } from 'node:os';\nimport { join as joinCache } from 'node:path';\n");
    } },
  { name: 'drop-discovered', about: 'the local adapter ignores tickets carrying the batch label', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => replace(d, LOCAL, ' || t.labels.includes(batch.label)', '') },
  { name: 'missing-keys-hidden', about: 'the local adapter never reports a missing key', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => replace(d, LOCAL, 'return { tickets, missing };', 'return { tickets, missing: missing.slice(0, 0) };') },
  { name: 'batch-label-changed', about: 'a longer batch label, so old discovered work falls out of the batch', kind: 'adversarial', rejectedBy: 'paths',
    apply: (d) => replace(d, 'trackers/batch.ts', ".digest('hex').slice(0, 8)", ".digest('hex').slice(0, 10)") },
  // behaviour: these pass the cheap checks and must fall to the loop check
  { name: 'loop-skips-oracle', about: 'the loop answers "done" itself instead of asking the oracle', kind: 'adversarial', rejectedBy: 'loop', full: true,
    apply: (d) => replace(d, 'loop/schedule/oracle-client.ts', /(async ask\(\): Promise<OracleAnswer> \{)/, "$1\n      if (args.batch !== '') return { verdict: 'done', exit_code: 0, tickets: [], exitCode: 0 };") },
  { name: 'fake-receipt', about: 'the loop writes a receipt and moves to done when the worker says complete', kind: 'adversarial', rejectedBy: 'loop', full: true,
    apply: (d) => {
      replace(d, 'loop/pass/pass.ts', '  const { value } = result;\n', [
        '  const { value } = result;',
        "  if (value.status === 'complete') {",
        "    const head = (await ctx.repo.raw(['rev-parse', `refs/heads/${target}`])).trim();",
        "    await ctx.tracker.comment(key, renderFakeReceipt({ ticket: key, mergeCommit: head, targetBranch: target, replayDigest: 'sha256:trust-me', reviewers: [], run: ctx.run }));",
        "    await ctx.tracker.moveTicket(key, 'done');",
        "    return done({ kind: 'landed', mergeCommit: head });",
        '  }',
        '',
      ].join('\n'));
      append(d, 'loop/pass/pass.ts', "\nimport { renderReceiptComment as renderFakeReceipt } from '../../oracle/receipt-write.ts';\n");
    } },
  { name: 'gate-everything', about: 'the loop human-gates every ticket whose pass fails', kind: 'adversarial', rejectedBy: 'loop', full: true,
    apply: (d) => replace(d, 'loop/run/run.ts', /(async function work\(ticket: Ticket, pass: number\): Promise<void> \{\n)/, "$1    await ctx.tracker.addLabel(ticket.key, 'human-gated');\n    await ctx.tracker.comment(ticket.key, 'Human-gated: the worker could not finish');\n") },
];

/** The text of a file in a candidate (for tests that check a heal applied). */
export { read };
