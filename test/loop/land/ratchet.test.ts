// The ratchet's rules on strings (each rule trips, benign changes give nothing), the gate's decision,
// and the git wrapper on a real temp repository.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkRatchet, countCases, parseNameStatus, ratchetFindings, ratchetPaths } from '../../../loop/land/ratchet.ts';
import type { FileChange } from '../../../loop/land/ratchet.ts';
import { judgeRatchet, ratchetSection } from '../../../loop/land/ratchet-gate.ts';
import { openGit } from '../../../loop/git/git.ts';
import { git, makeRepo, tempDir } from '../../helpers/repo.ts';

/** The findings for a change from `before` to `after` (whole trees of the touched files); renames as [from, to]. */
function findings(before: Record<string, string>, after: Record<string, string>, renames: Array<[string, string]> = []): string[] {
  const renamed = new Set(renames.flat());
  const changes: FileChange[] = renames.map(([from, path]) => ({ status: 'R090', from, path }));
  for (const path of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (renamed.has(path)) continue;
    if (!(path in after)) changes.push({ status: 'D', path });
    else if (!(path in before)) changes.push({ status: 'A', path });
    else if (before[path] !== after[path]) changes.push({ status: 'M', path });
  }
  // the rules see only the texts the git wrapper would read
  const paths = ratchetPaths(changes);
  const pick = (tree: Record<string, string>, list: string[]) => new Map(list.filter((p) => p in tree).map((p) => [p, tree[p] ?? '']));
  return ratchetFindings({ changes, before: pick(before, paths.before), after: pick(after, paths.after) }).map((f) => `${f.rule}: ${f.message}`);
}

const JS = "import { test, it, describe, expect } from 'vitest';\ndescribe('sum', () => {\n  it('adds', () => expect(1 + 1).toBe(2));\n  it('subtracts', () => expect(2 - 1).toBe(1));\n});\n";
const JS_ONE = "import { test, it, describe, expect } from 'vitest';\ndescribe('sum', () => {\n  it('adds', () => expect(1 + 1).toBe(2));\n});\n";

describe('rules that trip', () => {
  test('a deleted test file', () => {
    expect(findings({ 'test/sum.test.ts': JS }, {})).toEqual(['test-removed: removed test file test/sum.test.ts (3 test cases)']);
    expect(findings({ 'pkg/sum_test.go': 'package pkg\n' }, {})).toEqual(['test-removed: removed test file pkg/sum_test.go']);
  });

  test('a test file renamed out of the tests', () => {
    expect(findings({ 'tests/test_sum.py': 'def test_adds():\n    assert 1 + 1 == 2\n' }, { 'tools/sum_check.py': 'def test_adds():\n    assert 1 + 1 == 2\n' }, [['tests/test_sum.py', 'tools/sum_check.py']]))
      .toEqual(['test-moved-out: moved test file tests/test_sum.py out of the tests, to tools/sum_check.py (1 test case)']);
  });

  test('fewer test cases in a changed test file, in each language', () => {
    expect(findings({ 'src/sum.spec.ts': JS }, { 'src/sum.spec.ts': JS_ONE })).toEqual(['cases-decreased: test cases went down from 3 to 2 in the changed test files (src/sum.spec.ts 3 -> 2)']);
    const each = "test.each([[1, 2], [2, 3]])('inc %i', (a, b) => expect(a + 1).toBe(b));\ntest('zero', () => {});\n";
    expect(findings({ 'test/inc.test.js': each }, { 'test/inc.test.js': "test('zero', () => {});\n" })).toHaveLength(1);
    const cases: Array<[string, string, string]> = [
      ['test_sum.py', 'def test_a():\n    pass\n\nasync def test_b():\n    pass\n', 'def test_a():\n    pass\n'],
      ['sum_test.go', 'func TestA(t *testing.T) {}\nfunc TestB(t *testing.T) {}\n', 'func TestA(t *testing.T) {}\n'],
      ['tests/sum.rs', '#[test]\nfn a() {}\n#[tokio::test]\nasync fn b() {}\n', '#[test]\nfn a() {}\n'],
      ['src/test/java/SumTest.java', '@Test void a() {}\n@ParameterizedTest void b() {}\n', '@Test void a() {}\n'],
    ];
    for (const [path, before, after] of cases) expect(findings({ [path]: before }, { [path]: after }), path).toEqual([`cases-decreased: test cases went down from 2 to 1 in the changed test files (${path} 2 -> 1)`]);
  });

  test('skip, only and todo markers added', () => {
    const added: Array<[string, string, string]> = [
      ['a.test.ts', "it('a', () => {});\n", "it.skip('a', () => {});\n"],
      ['a.test.ts', "it('a', () => {});\n", "xit('a', () => {});\n"],
      ['a.test.ts', "describe('a', () => {});\n", "xdescribe('a', () => {});\n"],
      ['a.test.ts', "it('a', () => {});\n", "it.only('a', () => {});\n"],
      ['a.test.ts', "it('a', () => {});\n", "it('a', () => {});\nit.todo('b');\n"],
      ['test_a.py', 'def test_a():\n    pass\n', '@pytest.mark.skip(reason="flaky")\ndef test_a():\n    pass\n'],
      ['test_a.py', 'def test_a(self):\n    pass\n', '@unittest.skip("later")\ndef test_a(self):\n    pass\n'],
      ['a_test.go', 'func TestA(t *testing.T) {}\n', 'func TestA(t *testing.T) { t.Skip("later") }\n'],
      ['tests/a.rs', '#[test]\nfn a() {}\n', '#[test]\n#[ignore]\nfn a() {}\n'],
      ['ATest.java', '@Test void a() {}\n', '@Disabled @Test void a() {}\n'],
    ];
    for (const [path, before, after] of added) expect(findings({ [path]: before }, { [path]: after }), after).toEqual([`skip-added: added 1 skip/only/todo marker in ${path}`]);
  });

  test('a verify file losing commands, or removed', () => {
    const before = { '.nightshift/verify/APP-1': 'npm test\n# the API\ncurl -sf localhost:3000/health\n' };
    expect(findings(before, { '.nightshift/verify/APP-1': 'npm test\n' })).toEqual(['verify-shrunk: shrank the verify file .nightshift/verify/APP-1: it no longer runs `curl -sf localhost:3000/health`']);
    expect(findings(before, {})).toEqual(['verify-shrunk: removed the verify file .nightshift/verify/APP-1: it no longer runs `npm test`, `curl -sf localhost:3000/health`']);
  });

  test("the repo's test command changed or narrowed", () => {
    const pkg = (test: string, jest?: object) => JSON.stringify({ name: 'app', scripts: { test, build: 'tsc' }, ...(jest ? { jest } : {}) }, null, 2);
    expect(findings({ 'package.json': pkg('vitest run') }, { 'package.json': pkg('vitest run test/sum.test.ts') }))
      .toEqual(['test-command-changed: changed the `test` script in package.json from `vitest run` to `vitest run test/sum.test.ts`']);
    expect(findings({ 'package.json': pkg('jest', { roots: ['src'] }) }, { 'package.json': pkg('jest', { roots: ['src/a'] }) })).toEqual(['test-command-changed: changed the `jest` test settings in package.json']);
    const config = (extra: string) => `export default defineConfig({\n  test: {\n    include: ['test/**/*.test.ts'],\n${extra}  },\n});\n`;
    expect(findings({ 'vitest.config.ts': config('') }, { 'vitest.config.ts': config("    exclude: ['test/sum.test.ts'],\n") }))
      .toEqual(["test-command-changed: added `exclude: ['test/sum.test.ts'],` to the test config vitest.config.ts"]);
    expect(findings({ 'pytest.ini': '[pytest]\ntestpaths = tests\n' }, { 'pytest.ini': '[pytest]\ntestpaths = tests/unit\n' }))
      .toEqual(['test-command-changed: removed `testpaths = tests` from the test config pytest.ini']);
    const pyproject = (opts: string) => `[tool.ruff]\nignore = ["E501"]\n\n[tool.pytest.ini_options]\naddopts = "${opts}"\n`;
    expect(findings({ 'pyproject.toml': pyproject('-q') }, { 'pyproject.toml': pyproject('-q --ignore=tests/slow') })).toEqual([
      'test-command-changed: added `addopts = "-q --ignore=tests/slow"` to the test config pyproject.toml',
    ]);
  });
});

describe('benign changes give no findings', () => {
  test('adding tests, editing a test body, renaming within the tests, moving cases between files', () => {
    expect(findings({ 'test/sum.test.ts': JS_ONE }, { 'test/sum.test.ts': JS, 'test/more.test.ts': "test('more', () => {});\n" })).toEqual([]);
    expect(findings({ 'test/sum.test.ts': JS }, { 'test/sum.test.ts': JS.replace('toBe(2)', 'toEqual(2)') })).toEqual([]);
    expect(findings({ 'test/sum.test.ts': JS }, { 'test/unit/sum.test.ts': JS }, [['test/sum.test.ts', 'test/unit/sum.test.ts']])).toEqual([]);
    expect(findings({ 'test/sum.test.ts': JS }, { 'test/sum.test.ts': JS_ONE, 'test/sub.test.ts': "it('subtracts', () => {});\n" })).toEqual([]);
  });

  test('source changes, fixtures and helpers deleted, unrelated scripts, a verify file growing, a ruff ignore', () => {
    expect(findings({ 'src/sum.ts': 'export const sum = 1;\n', 'test/fixtures/data.json': '{}', 'test/helpers/make.ts': 'export const make = () => 1;\n' }, { 'src/sum.ts': 'export const sum = 2;\n' })).toEqual([]);
    const pkg = (build: string) => JSON.stringify({ scripts: { test: 'vitest run', build } });
    expect(findings({ 'package.json': pkg('tsc') }, { 'package.json': pkg('tsc -p .') })).toEqual([]);
    expect(findings({ '.nightshift/verify/APP-1': 'npm test\n' }, { '.nightshift/verify/APP-1': '# first the unit tests\nnpm test\nnpm run e2e\n' })).toEqual([]);
    const pyproject = (ignore: string) => `[tool.ruff]\nignore = [${ignore}]\n\n[tool.pytest.ini_options]\naddopts = "-q"\n`;
    expect(findings({ 'pyproject.toml': pyproject('') }, { 'pyproject.toml': pyproject('"E501"') })).toEqual([]);
    // `.test(` of a regex and words like "submit(" are not test cases
    expect(countCases('a.test.ts', "submit(x); /a/.test(s); it('a', () => {});")).toBe(1);
  });
});

test('the gate: a clear ratchet, both reviewers accepting, one not', () => {
  const tripped = [{ rule: 'test-removed' as const, file: 'test/a.test.ts', message: 'removed test file test/a.test.ts' }];
  expect(judgeRatchet([], [{ agent: 'a' }])).toEqual({ kind: 'clear' });
  expect(judgeRatchet(tripped, [{ agent: 'a', ratchet: 'accept' }, { agent: 'b', ratchet: 'accept' }])).toEqual({ kind: 'accepted', by: ['a', 'b'] });
  const refused = judgeRatchet(tripped, [{ agent: 'a', ratchet: 'accept' }, { agent: 'b' }]);
  expect(refused).toMatchObject({ kind: 'refused', refusedBy: ['b'] });
  expect(refused.kind === 'refused' && refused.findings).toContain('(b did not accept it).\n  - ratchet: removed test file test/a.test.ts');
  expect(ratchetSection([], { summary: 's', evidence: '' })).toBe('');
  const many = Array.from({ length: 30 }, (_, i) => ({ rule: 'test-removed' as const, file: `t${i}.test.ts`, message: `removed test file t${i}.test.ts` }));
  const section = ratchetSection(many, { summary: '', evidence: '' });
  expect(section.match(/^- ratchet: /gm)).toHaveLength(25);
  expect(section).toContain('- ratchet: removed test file t24.test.ts\n- ... and 5 more (all of them are in the run\'s events.jsonl)\n');
  expect(section).toContain('> (the worker gave no reason)');
  expect(ratchetSection(tripped, { summary: 'the test was a duplicate', evidence: 'see b.test.ts' })).toContain('- ratchet: removed test file test/a.test.ts\n\nThe worker\'s stated reason (its result summary and evidence):\n\n> the test was a duplicate\n> \n> see b.test.ts');
});

test('parseNameStatus reads renames and plain entries', () => {
  expect(parseNameStatus('M\0a b.ts\0R087\0test/x.test.ts\0src/x.ts\0D\0y\0')).toEqual([
    { status: 'M', path: 'a b.ts' }, { status: 'R087', from: 'test/x.test.ts', path: 'src/x.ts' }, { status: 'D', path: 'y' },
  ]);
});

test('on a real repository: only what the branch did since its merge base counts', async () => {
  const dir = await makeRepo(join(tempDir(), 'repo'), { 'test/a.test.ts': JS, 'test/b.test.ts': JS, 'test/c.test.ts': JS, 'src/app.ts': 'export {};\n' });
  await git(dir, 'checkout', '-q', '-b', 'nightshift/APP-1');
  writeFileSync(join(dir, 'test/b.test.ts'), JS.replace("it('adds'", "it.skip('adds'"));
  await git(dir, 'commit', '-qam', 'skip a flaky one');
  // the target moves on (another ticket removed c.test.ts, accepted then) and is merged into the branch
  await git(dir, 'checkout', '-q', 'main');
  rmSync(join(dir, 'test/c.test.ts'));
  await git(dir, 'commit', '-qam', 'drop c');
  await git(dir, 'checkout', '-q', 'nightshift/APP-1');
  await git(dir, 'merge', '-q', '--no-edit', 'main');
  rmSync(join(dir, 'test/a.test.ts'));
  await git(dir, 'commit', '-qam', 'drop a');
  expect((await checkRatchet(openGit(dir), 'main', 'nightshift/APP-1')).map((f) => f.message)).toEqual([
    'removed test file test/a.test.ts (3 test cases)',
    'added 1 skip/only/todo marker in test/b.test.ts',
  ]);
  await git(dir, 'checkout', '-q', '-b', 'nightshift/APP-2', 'main');
  writeFileSync(join(dir, 'test/d.test.ts'), JS);
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-qm', 'more tests');
  expect(await checkRatchet(openGit(dir), 'main', 'nightshift/APP-2')).toEqual([]);
});
