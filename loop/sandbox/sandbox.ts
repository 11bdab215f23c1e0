// Every agent in an OS sandbox: `withSandbox(agent, settings)` wraps an adapter so each process it
// starts runs under bubblewrap (bwrap.ts) with a read-only root, and writable only: the worktree, the
// agent's own pass dir (prompt, result, a private TMPDIR), its journal, the home dirs its CLI needs, and a
// private git view (git-view.ts) in place of the worktree's admin dir for a worker or heal agent (a
// reviewer's is read-only: it may not commit). The repository's config, hooks,
// other refs, the tickets file, the state dir and the nightshift checkout are read-only; credentials are
// hidden. After a worker's or heal agent's run the loop takes its branch back from the view.
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Agent, AgentOutcome, AgentRun } from '../agents/types.ts';
import { bwrapArgv, bwrapBin } from './bwrap.ts';
import type { AgentNetwork, BoxLayout } from './bwrap.ts';
import { closeGitView, openGitView, takeBackBranch } from './git-view.ts';
import { secretPlaces, vendorHomes } from './places.ts';
import { allowedHosts, startProxy } from './proxy.ts';

const FORWARD = fileURLToPath(new URL('./forward.ts', import.meta.url));

export type SandboxMode = 'on' | 'off';

export type SandboxSettings = {
  mode: SandboxMode;
  /** undefined: `host` for agents that call their model's API, `none` for `command:` agents. */
  network: AgentNetwork | undefined;
  /** Directories whose `.env` files are hidden (the repository's main checkout, the start dir). */
  protect: string[];
  /** More paths every agent may write (NIGHTSHIFT_SANDBOX_WRITABLE). */
  writable?: string[];
};

/** Rewrites one process start of an adapter so it runs inside the sandbox. */
export type ProcessWrap = (file: string, args: readonly string[]) => { file: string; args: string[] };

/** The network an agent gets: the flag, or its adapter's default. */
export function networkFor(spec: string, network: AgentNetwork | undefined): AgentNetwork {
  return network ?? (spec.startsWith('command:') ? 'none' : 'host');
}

/** Roles that may commit, in a private view whose branch the loop takes back after the run. */
const KEEPS_BRANCH = new Set<AgentRun['role']>(['worker', 'heal']);

export function withSandbox(agent: Agent, settings: SandboxSettings): Agent {
  if (settings.mode === 'off') return agent;
  const network = networkFor(agent.spec, settings.network);
  return {
    spec: agent.spec,
    vendor: agent.vendor,
    async run(input: AgentRun): Promise<AgentOutcome> {
      const passDir = dirname(input.resultFile);
      const scratch = join(passDir, 'tmp');
      mkdirSync(scratch, { recursive: true });
      const journal = input.extraEnv?.NIGHTSHIFT_JOURNAL_FILE;
      if (journal && !existsSync(journal)) {
        mkdirSync(dirname(journal), { recursive: true });
        closeSync(openSync(journal, 'a'));
      }
      // only a role whose branch is taken back gets a writable view; a reviewer or blocked-check reads
      // the repository as it is, its worktree's admin dir read-only like the rest (nothing of it to drop)
      const view = KEEPS_BRANCH.has(input.role) ? await openGitView(input.cwd, passDir, input.env) : undefined;
      const secrets = secretPlaces(input.env, settings.protect);
      const layout: BoxLayout = {
        cwd: input.cwd,
        writable: [input.cwd, passDir, ...(journal ? [journal] : []), ...vendorHomes(agent.vendor, input.env), ...(settings.writable ?? [])],
        overlays: view ? [[view.dir, view.adminDir]] : [],
        hiddenDirs: secrets.dirs,
        hiddenFiles: secrets.files,
        network,
      };
      // proxy: no network in the sandbox but a unix socket (a short path: sockets allow 108 bytes) to the allow-list proxy
      const proxyDir = network === 'proxy' ? mkdtempSync(join(tmpdir(), 'nightshift-proxy-')) : undefined;
      const proxy = proxyDir ? await startProxy(join(proxyDir, 's'), allowedHosts(agent.vendor, input.env)) : undefined;
      if (proxyDir) layout.writable.push(proxyDir);
      const wrap: ProcessWrap = (file, args) => proxy
        ? bwrapArgv(layout, process.execPath, [FORWARD, proxy.socket, file, ...args], bwrapBin(input.env))
        : bwrapArgv(layout, file, args, bwrapBin(input.env));
      try {
        const outcome = await agent.run({ ...input, sandbox: wrap, extraEnv: { TMPDIR: scratch, ...input.extraEnv } });
        input.onExit?.(outcome);
        if (!view) return outcome;
        const back = await takeBackBranch(view, input.env);
        if (back.kind !== 'failed') return outcome;
        appendFileSync(input.logFile, `\nnightshift: the sandbox could not hand the branch back: ${back.detail}\n`);
        return { kind: 'crashed', detail: `the sandbox could not hand the branch back: ${back.detail}`, durationMs: outcome.durationMs };
      } finally {
        if (view) await closeGitView(view);
        if (proxy) {
          if (proxy.refused.length > 0) appendFileSync(input.logFile, `\nnightshift: the sandbox's proxy refused ${[...new Set(proxy.refused)].join(', ')} (not on the allow-list)\n`);
          await proxy.close();
        }
        if (proxyDir) rmSync(proxyDir, { recursive: true, force: true });
      }
    },
  };
}
