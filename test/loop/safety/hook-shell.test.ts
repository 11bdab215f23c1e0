// The safety gate's shell reading: structure (lists, pipelines, subshells, substitutions, here-documents,
// case, functions), what stays unknown (expansions), wrappers, redaction, and commands that do not parse.
import { describe, expect, it } from 'vitest';
import { judgeCommand } from '../../../loop/safety/pre-tool-use.ts';
import { redactSecrets, redactValue } from '../../../loop/safety/redact.ts';
import { parseShell } from '../../../loop/safety/shell.ts';
import type { Script } from '../../../loop/safety/shell.ts';
import { unwrap } from '../../../loop/safety/unwrap.ts';
import type { GateContext } from '../../../loop/safety/paths.ts';

/** Every simple command's words, nested scripts flattened in order (a `for` header runs nothing itself). */
function commands(script: Script): string[][] {
  return script.flatMap((pipeline) => pipeline.flatMap((command) => (command.kind === 'simple' ? [command.words.map((w) => w.text)] : commands(command.body)))).filter((words) => words.length > 0);
}

describe('parseShell', () => {
  it('reads lists, pipelines, subshells, compound commands and functions down to simple commands', async () => {
    const script = await parseShell('a && (b; c | d) || { e; }\nif f; then g; fi; for x in 1 2; do h "$x"; done; fn() { i; }; case $y in a|b) j;; *) k;; esac');
    expect(commands(script)).toEqual([['a'], ['b'], ['c'], ['d'], ['e'], ['f'], ['g'], ['h', '$x'], ['i'], ['j'], ['k']]);
  });

  it('keeps quoting apart from expansion, and collects substitutions and here-documents', async () => {
    const [[simple]] = (await parseShell(`echo '$(not run)' "$(run1)" \`run2\` <(run3) $'a\\tb' x\\ y <<EOF\nbody $(run4)\nEOF`)) as [[Extract<Script[number][number], { kind: 'simple' }>]];
    expect(simple.words.map((w) => w.text)).toEqual(['echo', '$(not run)', '$(run1)', '`run2`', '<(run3)', 'a\tb', 'x y']);
    expect(simple.words.flatMap((w) => w.subs)).toEqual(['run1', 'run2', 'run3']);
    expect(simple.words[1]!.dynamic).toBe(false);
    expect(simple.redirects[0]).toMatchObject({ op: '<<', heredoc: { body: 'body $(run4)', expand: true } });
  });

  it('reports text that does not parse', async () => {
    await expect(parseShell("echo 'open")).rejects.toThrow();
    await expect(parseShell('echo $(')).rejects.toThrow();
  });
});

describe('unwrap', () => {
  const words = (text: string) => text.split(' ').map((t) => ({ text: t, dynamic: false, glob: false, tilde: false, subs: [], vars: [] }));
  it('strips sudo, env, nohup, time, command, timeout and nice with their options', () => {
    expect(unwrap(words('sudo -u root env -i A=1 nohup time -p command timeout -s KILL 5 nice -n 10 rm -rf x')).argv.map((w) => w.text)).toEqual(['rm', '-rf', 'x']);
  });
  it('turns xargs input into an unknown word, and knows env alone prints the environment', () => {
    expect(unwrap(words('xargs -0 -n 1 rm -f')).argv.map((w) => [w.text, w.dynamic])).toEqual([['rm', false], ['-f', false], ['<xargs input>', true]]);
    expect(unwrap(words('env -u HOME')).dumpsEnvironment).toBe(true);
    expect(unwrap(words('command -v git')).queryOnly).toBe(true);
  });
});

describe('judgeCommand', () => {
  const ctx: GateContext = { worktree: '/work/tree', cwd: '/work/tree', home: '/home/agent', protectedBranches: ['main'], allowedFiles: ['/state/result.json'] };
  it('blocks a command it cannot parse, saying so', async () => {
    expect(await judgeCommand('rm -rf "unterminated', ctx)).toEqual({ kind: 'block', reason: expect.stringMatching(/^the command does not parse as a shell command/) });
  });
  it('follows cd through a list but not out of a subshell or a pipeline stage', async () => {
    expect((await judgeCommand('(cd /tmp) && rm -rf build', ctx)).kind).toBe('allow');
    expect((await judgeCommand('cd /tmp | true; rm -rf build', ctx)).kind).toBe('allow');
    expect((await judgeCommand('cd /tmp; rm -rf build', ctx)).kind).toBe('block');
    expect((await judgeCommand('cd "$(git rev-parse --show-toplevel)" && rm -rf build', ctx)).kind).toBe('allow');
  });
  it('lets the result file be written but nothing else outside the worktree', async () => {
    expect((await judgeCommand("echo '{}' > /state/result.json", ctx)).kind).toBe('allow');
    expect((await judgeCommand("echo '{}' > /state/other.json", ctx)).kind).toBe('block');
  });
});

describe('redactSecrets', () => {
  const env = { LINEAR_API_KEY: 'lin_api_0123456789abcdef', MY_SERVICE_TOKEN: 'tok-abcdef-123456', PATH: '/usr/bin', SHORT_TOKEN: 'abc' };
  it('masks secret variable values and token-shaped strings, nothing else', () => {
    expect(redactSecrets('key=lin_api_0123456789abcdef t=tok-abcdef-123456 path=/usr/bin abc ghp_abcdefghijklmnopqrstuvwxyz0123', env))
      .toBe('key=[redacted:LINEAR_API_KEY] t=[redacted:MY_SERVICE_TOKEN] path=/usr/bin abc [redacted]');
    expect(redactValue({ a: ['tok-abcdef-123456'], n: 1 }, env)).toEqual({ a: ['[redacted:MY_SERVICE_TOKEN]'], n: 1 });
  });
});

describe('scripts and scratch space', () => {
  it('reads a shell script the command runs, resolving $(dirname "$0") to its directory', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, realpathSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'nightshift-scripts-')));
    const worktree = join(root, 'wt');
    mkdirSync(join(worktree, 'scripts'), { recursive: true });
    writeFileSync(join(worktree, 'scripts', 'clean.sh'), '#!/bin/sh\ncd "$(dirname "$0")/.." || exit 1\nrm -rf build\n');
    writeFileSync(join(worktree, 'scripts', 'evil'), '#!/usr/bin/env bash\nrm -rf ~/\n');
    const scratch = join(root, 'scratch');
    const gate: GateContext = { worktree, cwd: worktree, home: join(root, 'home'), protectedBranches: ['main'], allowedFiles: [], scratch };
    expect((await judgeCommand('bash scripts/clean.sh && ./scripts/clean.sh', gate)).kind).toBe('allow');
    expect(await judgeCommand('./scripts/evil', gate)).toEqual({ kind: 'block', reason: expect.stringMatching(/^the script \.\/scripts\/evil deletes recursively .*home/) });
    expect((await judgeCommand('npm test > "$TMPDIR/test.log" 2>&1; rm -rf "$TMPDIR/build"', gate)).kind).toBe('allow');
    expect((await judgeCommand('rm -rf "$TMPDIR"', gate)).kind).toBe('block');
    expect((await judgeCommand('npm test > /tmp/test.log', gate)).kind).toBe('block');
  });
});
