// The ratchet: what a ticket's branch takes away from the tests, found in its diff against the merge
// base. Test files deleted or moved out of the tests, fewer test cases, skip/only markers added, verify
// files losing commands, test scripts and test configs narrowed. A tripped ratchet merges only when
// both reviewers approve and each accepts the worker's reason (`"ratchet": "accept"`).
import type { Git } from '../git/git.ts';

/** One line of `git diff --name-status`: `from` is the old path of a rename or copy. */
export type FileChange = { status: string; path: string; from?: string };

export type RatchetRule = 'test-removed' | 'test-moved-out' | 'cases-decreased' | 'skip-added' | 'verify-shrunk' | 'test-command-changed';

export type RatchetFinding = { rule: RatchetRule; file: string; message: string };

/** The diff and the texts of the files it touches that the rules read (absent: no such file on that side). */
export type RatchetInput = {
  changes: readonly FileChange[];
  before: ReadonlyMap<string, string>;
  after: ReadonlyMap<string, string>;
};

const TEST_DIR = /(^|\/)(tests?|__tests__|specs?|testing)\//;
const TEST_NAME = /(\.(test|spec)\.[^/]+|_test\.go|(^|\/)test_[^/]*\.py|_test\.py|_spec\.rb|(Test|Tests|IT|Spec)\.(java|kt|scala|groovy|cs))$/;
const CODE = /\.(m?[jt]sx?|cjs|cts|py|go|rs|java|kt|scala|groovy|cs|rb|php|swift|ex|exs)$/;
const TEST_CONFIG = /(^|\/)((vitest|vite|jest|karma|playwright|cypress|ava|wdio)\.config\.[^/]+|jest\.config|\.mocharc[^/]*|pytest\.ini|tox\.ini|setup\.cfg|pyproject\.toml|conftest\.py|phpunit\.xml(\.dist)?|\.nycrc[^/]*)$/;
const VERIFY_FILE = /^\.nightshift\/verify\/[^/]+$/;
/** Lines that take tests away when added to a test config, and lines that bring them in when removed. */
const NARROWING = /exclude|ignore|skip|deselect|norecursedirs|collect_ignore|only|bail|passWithNoTests|--?k\b/i;
const WIDENING = /include|testMatch|testRegex|testpaths|python_files|roots|projects|testDir|spec/i;

/** Test-case patterns by language; counted in old and new text, only the difference matters. */
const CASES: Array<[RegExp, RegExp[]]> = [
  [/\.(m?[jt]sx?|cjs|cts|mts)$/, [/(?<![\w$.])[xf]?(?:it|test|describe|context|specify|suite|bench)(?:\s*\.\s*[A-Za-z]+)*\s*[(`]/g]],
  [/\.py$/, [/^\s*(?:async\s+)?def\s+test\w*\s*\(/gm]],
  [/\.go$/, [/^func\s+(?:\([^)]*\)\s*)?(?:Test|Fuzz)\w*\s*\(/gm]],
  [/\.rs$/, [/#\[(?:[\w:]+::)?test\b/g]],
  [/\.(java|kt|scala|groovy)$/, [/@(?:Test|ParameterizedTest|RepeatedTest|TestFactory|TestTemplate)\b/g]],
  [/\.cs$/, [/\[(?:Test|TestCase|Fact|Theory|TestMethod)\b/g]],
  [/\.rb$/, [/^\s*(?:it|specify|scenario|test|describe|context)\s+['"]/gm, /^\s*def\s+test_\w*/gm]],
];
const SKIPS: RegExp[] = [
  /(?<![\w$])(?:x(?:it|test|describe|context|specify)|f(?:it|describe))\s*[(`]/g,
  /(?<!\b(?:mark|unittest))\.\s*(?:skip|only|todo|skipIf|runIf|fixme)\s*[(`]/g,
  /@pytest\.mark\.(?:skip|skipif|xfail)\b|@unittest\.(?:skip|skipIf|skipUnless|expectedFailure)\b|\bpytest\.skip\s*\(|\.skipTest\s*\(/g,
  /\bt\.Skip(?:f|Now)?\s*\(/g,
  /#\[ignore\b/g,
  /@(?:Disabled|Ignore)\b|\[Ignore\b|\bSkip\s*=/g,
];
const RUBY_SKIPS = /^\s*(?:skip|pending|xit|xdescribe|xcontext)\b/gm;
/** Python's shared config files: only their pytest sections say what the tests run. */
const SHARED_CONFIG = /(^|\/)(tox\.ini|setup\.cfg|pyproject\.toml)$/;

export function isTestPath(path: string): boolean {
  return TEST_NAME.test(path) || (TEST_DIR.test(path) && CODE.test(path));
}

export function countCases(path: string, text: string): number {
  const patterns = CASES.find(([ext]) => ext.test(path))?.[1] ?? CASES.flatMap(([, p]) => p);
  return patterns.reduce((sum, p) => sum + (text.match(p)?.length ?? 0), 0);
}

export function countSkips(path: string, text: string): number {
  return [...SKIPS, ...(path.endsWith('.rb') ? [RUBY_SKIPS] : [])].reduce((sum, p) => sum + (text.match(p)?.length ?? 0), 0);
}

/** A test file that really holds tests: named as one, or in a test dir with at least one case in it. */
function holdsTests(path: string, text: string | undefined): boolean {
  return TEST_NAME.test(path) || (isTestPath(path) && countCases(path, text ?? '') > 0);
}

/** The paths whose texts the rules read (the git wrapper reads only these). */
export function ratchetPaths(changes: readonly FileChange[]): { before: string[]; after: string[] } {
  const watched = (p: string) => isTestPath(p) || TEST_CONFIG.test(p) || VERIFY_FILE.test(p) || /(^|\/)package\.json$/.test(p);
  const before = new Set<string>();
  const after = new Set<string>();
  for (const c of changes) {
    const old = c.from ?? c.path;
    if (!/^[AC]/.test(c.status) && watched(old)) before.add(old);
    if (!c.status.startsWith('D') && watched(c.path)) after.add(c.path);
  }
  return { before: [...before], after: [...after] };
}

/** The ratchet's findings for a diff: empty when the change takes nothing away from the tests. */
export function ratchetFindings({ changes, before, after }: RatchetInput): RatchetFinding[] {
  const findings: RatchetFinding[] = [];
  const cases: Array<{ file: string; from: number; to: number; kept: boolean }> = [];
  for (const c of changes) {
    const oldPath = c.from ?? c.path;
    const oldText = /^[AC]/.test(c.status) ? undefined : before.get(oldPath);
    const newText = c.status.startsWith('D') ? undefined : after.get(c.path);
    const wasTest = oldText !== undefined && holdsTests(oldPath, oldText);
    const isTest = newText !== undefined && isTestPath(c.path);
    const n = (path: string, text: string | undefined) => (text === undefined ? 0 : countCases(path, text));
    if (wasTest && c.status.startsWith('D')) {
      findings.push({ rule: 'test-removed', file: oldPath, message: `removed test file ${oldPath}${cases_(n(oldPath, oldText))}` });
    } else if (wasTest && !isTest && c.status.startsWith('R')) {
      findings.push({ rule: 'test-moved-out', file: oldPath, message: `moved test file ${oldPath} out of the tests, to ${c.path}${cases_(n(oldPath, oldText))}` });
    }
    if (wasTest || isTest) cases.push({ file: c.path, from: wasTest ? n(oldPath, oldText) : 0, to: isTest ? n(c.path, newText) : 0, kept: isTest });
    if (isTest) {
      const added = countSkips(c.path, newText ?? '') - countSkips(oldPath, oldText ?? '');
      if (added > 0) findings.push({ rule: 'skip-added', file: c.path, message: `added ${added} skip/only/todo marker${added === 1 ? '' : 's'} in ${c.path}` });
    }
    if (VERIFY_FILE.test(oldPath) && oldText !== undefined) {
      const kept = new Set(commandLines(newText ?? ''));
      const lost = commandLines(oldText).filter((line) => !kept.has(line));
      if (lost.length > 0) findings.push({ rule: 'verify-shrunk', file: oldPath, message: `${newText === undefined ? 'removed' : 'shrank'} the verify file ${oldPath}: it no longer runs ${lost.map((l) => `\`${l}\``).join(', ')}` });
    }
    if (/(^|\/)package\.json$/.test(oldPath) && oldText !== undefined) findings.push(...packageFindings(oldPath, oldText, newText));
    if (TEST_CONFIG.test(oldPath) || TEST_CONFIG.test(c.path)) findings.push(...configFindings(c.path, oldText, newText));
  }
  const from = cases.reduce((s, c) => s + c.from, 0);
  const to = cases.reduce((s, c) => s + c.to, 0);
  // a deleted file is its own finding: the sum says whether its cases went somewhere else
  if (to < from && cases.some((c) => c.kept && c.to < c.from)) {
    const fewer = cases.filter((c) => c.kept && c.to < c.from).map((c) => `${c.file} ${c.from} -> ${c.to}`).join(', ');
    findings.push({ rule: 'cases-decreased', file: cases.find((c) => c.kept && c.to < c.from)?.file ?? '', message: `test cases went down from ${from} to ${to} in the changed test files (${fewer})` });
  }
  return findings;
}

function cases_(count: number): string {
  return count > 0 ? ` (${count} test case${count === 1 ? '' : 's'})` : '';
}

function commandLines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

/** `scripts.test*` changed or removed, or the test runner's own config key changed. */
function packageFindings(path: string, oldText: string, newText: string | undefined): RatchetFinding[] {
  const parse = (text: string | undefined): Record<string, unknown> => {
    try {
      const value: unknown = JSON.parse(text ?? '{}');
      return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  const [a, b] = [parse(oldText), parse(newText)];
  const scripts = (p: Record<string, unknown>) => (typeof p.scripts === 'object' && p.scripts !== null ? (p.scripts as Record<string, unknown>) : {});
  const findings: RatchetFinding[] = [];
  for (const [name, command] of Object.entries(scripts(a))) {
    if (!/^(test|check|verify)(:|$)/.test(name)) continue;
    const now = scripts(b)[name];
    if (now === command) continue;
    const message = now === undefined
      ? `removed the \`${name}\` script from ${path} (it ran \`${String(command)}\`)`
      : `changed the \`${name}\` script in ${path} from \`${String(command)}\` to \`${String(now)}\``;
    findings.push({ rule: 'test-command-changed', file: path, message });
  }
  for (const key of ['jest', 'vitest', 'mocha', 'ava', 'c8', 'nyc']) {
    if (a[key] !== undefined && JSON.stringify(a[key]) !== JSON.stringify(b[key])) {
      findings.push({ rule: 'test-command-changed', file: path, message: `changed the \`${key}\` test settings in ${path}` });
    }
  }
  return findings;
}

/** A test config removed, or lines that narrow what runs: an exclude added, an include removed. */
function configFindings(path: string, oldText: string | undefined, newText: string | undefined): RatchetFinding[] {
  if (oldText === undefined) return [];
  if (newText === undefined) return [{ rule: 'test-command-changed', file: path, message: `removed the test config ${path}` }];
  const lines = (text: string) => new Set(testSettings(path, text).split('\n').map((l) => l.trim()));
  const [oldLines, newLines] = [lines(oldText), lines(newText)];
  const added = [...newLines].filter((l) => l !== '' && !oldLines.has(l) && NARROWING.test(l));
  const removed = [...oldLines].filter((l) => l !== '' && !newLines.has(l) && WIDENING.test(l));
  return [
    ...added.map((l) => ({ rule: 'test-command-changed' as const, file: path, message: `added \`${l}\` to the test config ${path}` })),
    ...removed.map((l) => ({ rule: 'test-command-changed' as const, file: path, message: `removed \`${l}\` from the test config ${path}` })),
  ];
}

/** The part of a config file about tests: all of it, or the pytest sections of a shared Python config. */
function testSettings(path: string, text: string): string {
  if (!SHARED_CONFIG.test(path)) return text;
  return text.split(/^(?=\s*\[)/m).filter((section) => /^\s*\[[^\]\n]*pytest/.test(section)).join('\n');
}

const READ_AT_ONCE = 8;

/**
 * Reads the diff between the merge base of `target` and `branch` and the branch head, and judges it.
 * `at` is the target head to measure from (the loop's own, not a ref a worker may have moved);
 * `knownHead`, the branch head if the caller has read it already.
 */
export async function checkRatchet(repo: Git, target: string, branch: string, at = `refs/heads/${target}`, knownHead?: string): Promise<RatchetFinding[]> {
  const head = knownHead ?? (await repo.raw(['rev-parse', '--verify', `refs/heads/${branch}^{commit}`])).trim();
  // the three-dot diff measures from the merge base itself; the base is resolved only when a watched
  // file changed and its old text must be read (two git processes in turn, not three, as a rule)
  const changes = parseNameStatus(await repo.raw(['diff', '--no-ext-diff', '--no-textconv', '--name-status', '-z', '-M', `${at}...${head}`]));
  const paths = ratchetPaths(changes);
  if (paths.before.length === 0 && paths.after.length === 0) return ratchetFindings({ changes, before: new Map(), after: new Map() });
  const base = (await repo.raw(['merge-base', at, head])).trim();
  // a path git cannot show as a blob (a submodule) counts as absent
  const show = (rev: string, p: string) => repo.raw(['cat-file', 'blob', `${rev}:${p}`]).then((text) => [[p, text] as const], () => []);
  const read = async (rev: string, list: string[]) => {
    // a few git processes at a time: a branch that rewrites the tests may touch hundreds of files
    const texts = new Map<string, string>();
    for (let i = 0; i < list.length; i += READ_AT_ONCE) {
      for (const [p, text] of (await Promise.all(list.slice(i, i + READ_AT_ONCE).map((p) => show(rev, p)))).flat()) texts.set(p, text);
    }
    return texts;
  };
  return ratchetFindings({ changes, before: await read(base, paths.before), after: await read(head, paths.after) });
}

/** Parses `git diff --name-status -z`: `S\0path\0`, or `R100\0old\0new\0` for renames and copies. */
export function parseNameStatus(out: string): FileChange[] {
  const parts = out.split('\0');
  const changes: FileChange[] = [];
  for (let i = 0; i < parts.length;) {
    const status = parts[i++] ?? '';
    if (status === '') continue;
    if (/^[RC]/.test(status)) changes.push({ status, from: parts[i++] ?? '', path: parts[i++] ?? '' });
    else changes.push({ status, path: parts[i++] ?? '' });
  }
  return changes;
}
