// What a worktree needs before anything runs in it: the repo's own set-up commands. From configuration
// (`setup`), or detected from the lockfiles at the top of the repo, as the repo's own CI would install:
// one entry per ecosystem found. Frozen: the final audit prepares its worktrees the same way.

/** How a worktree of the repo is prepared, and which files decide whether a prepared result still fits. */
export type SetupPlan = {
  commands: string[];
  source: 'config' | 'detected' | 'none';
  /** The lockfiles the commands were chosen from (detected), for the run's first line. */
  detected: string[];
  /** Top-level files whose contents key the cache (lockfiles and manifests). */
  keyFiles: string[];
  /**
   * Whether what the set-up adds may be stored and linked into other worktrees. Not for Python: a
   * virtualenv's scripts name the absolute path it was made at, so a linked one points elsewhere.
   */
  cacheable: boolean;
};

type Ecosystem = { lockfiles: RegExp; manifests: string[]; commands: (files: readonly string[]) => string[]; relocatable?: false };

const ECOSYSTEMS: Ecosystem[] = [
  { lockfiles: /^(package-lock\.json|npm-shrinkwrap\.json)$/, manifests: ['package.json'], commands: () => ['npm ci --no-audit --no-fund'] },
  { lockfiles: /^pnpm-lock\.yaml$/, manifests: ['package.json', 'pnpm-workspace.yaml'], commands: () => ['pnpm install --frozen-lockfile'] },
  // Yarn 2+ (a .yarnrc.yml) refuses --frozen-lockfile: --immutable is its word for it
  { lockfiles: /^yarn\.lock$/, manifests: ['package.json', '.yarnrc.yml'], commands: (files) => [files.includes('.yarnrc.yml') ? 'yarn install --immutable' : 'yarn install --frozen-lockfile'] },
  { lockfiles: /^bun\.lockb?$/, manifests: ['package.json'], commands: () => ['bun install --frozen-lockfile'] },
  { lockfiles: /^uv\.lock$/, manifests: ['pyproject.toml'], commands: () => ['uv sync --frozen'], relocatable: false },
  { lockfiles: /^poetry\.lock$/, manifests: ['pyproject.toml'], commands: () => ['poetry install --no-root --sync'], relocatable: false },
  {
    lockfiles: /^requirements.*\.txt$/, manifests: ['pyproject.toml', 'setup.py', 'setup.cfg'],
    commands: (files) => ['python3 -m venv .venv', `.venv/bin/pip install --disable-pip-version-check -q ${files.filter((f) => /^requirements.*\.txt$/.test(f)).sort().map((f) => `-r ${f}`).join(' ')}`],
    relocatable: false,
  },
  { lockfiles: /^Cargo\.lock$/, manifests: ['Cargo.toml'], commands: () => ['cargo fetch --locked'] },
  { lockfiles: /^go\.sum$/, manifests: ['go.mod'], commands: () => ['go mod download'] },
];

/** Python lockfiles: a uv or poetry lock wins over requirements files beside it. */
function pythonManagedBy(files: readonly string[]): boolean {
  return files.includes('uv.lock') || files.includes('poetry.lock');
}

/**
 * The set-up of a repo whose top level holds `files`: the configured commands (`[]` turns set-up off),
 * or what its lockfiles call for.
 */
export function planSetup(files: readonly string[], configured: readonly string[] | undefined): SetupPlan {
  const keyFiles = new Set<string>();
  const detected: string[] = [];
  const commands: string[] = [];
  let cacheable = true;
  for (const eco of ECOSYSTEMS) {
    const locks = files.filter((f) => eco.lockfiles.test(f));
    if (locks.length === 0) continue;
    if (eco.lockfiles.source.includes('requirements') && pythonManagedBy(files)) continue;
    detected.push(...locks);
    for (const f of [...locks, ...eco.manifests]) if (files.includes(f)) keyFiles.add(f);
    commands.push(...eco.commands(files));
    if (eco.relocatable === false) cacheable = false;
  }
  if (configured !== undefined) {
    return { commands: [...configured], source: configured.length > 0 ? 'config' : 'none', detected: [], keyFiles: [...keyFiles].sort(), cacheable: true };
  }
  return { commands, source: commands.length > 0 ? 'detected' : 'none', detected, keyFiles: [...keyFiles].sort(), cacheable };
}

/** One line for the run's start: what prepares every worktree, and why. */
export function describeSetup(plan: SetupPlan): string {
  switch (plan.source) {
    case 'none': return 'setup: none (no lockfile found, or "setup": [] in the config)';
    case 'config': return `setup: ${plan.commands.join(' && ')} (from the config)`;
    case 'detected': return `setup: ${plan.commands.join(' && ')} (detected ${plan.detected.join(', ')})`;
  }
}
