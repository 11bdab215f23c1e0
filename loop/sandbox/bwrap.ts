// bubblewrap: whether it can run here, and the argv that puts one agent process inside it. Read-only
// root, a fresh /dev, /proc and PID namespace (whatever the agent leaves behind dies with the sandbox),
// no capabilities (a user namespace), its own session, and only the listed paths writable.
import { existsSync } from 'node:fs';
import { captureProcess } from '../process/subprocess.ts';

/** Where the agent's network goes: the host's, through the allow-list proxy, or nowhere. */
export type AgentNetwork = 'host' | 'proxy' | 'none';

export type BoxLayout = {
  cwd: string;
  /** Paths bound writable at the same place (directories or files; missing ones are skipped). */
  writable: string[];
  /** [source, destination]: source bound writable at destination (the agent's private git dir). */
  overlays: Array<[string, string]>;
  /** Existing directories hidden behind an empty tmpfs; existing files behind /dev/null. */
  hiddenDirs: string[];
  hiddenFiles: string[];
  network: AgentNetwork;
};

/** The bubblewrap program: `bwrap` on PATH, or NIGHTSHIFT_BWRAP_BIN. */
export function bwrapBin(env: NodeJS.ProcessEnv): string {
  return env.NIGHTSHIFT_BWRAP_BIN || 'bwrap';
}

/** What to tell a person when bubblewrap cannot run agents here. */
export function missingBwrapMessage(detail: string): string {
  return `the agent sandbox needs bubblewrap, and it cannot run here (${detail}). Install it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap; Arch: pacman -S bubblewrap) and make sure user namespaces are allowed (sysctl kernel.unprivileged_userns_clone=1, or on Ubuntu 24.04 kernel.apparmor_restrict_unprivileged_userns=0), or pass --sandbox off to run agents unconfined.`;
}

/**
 * The flags every sandbox starts with (also what the bench measures). No `--new-session`: every command
 * the loop runs already starts in a session with no controlling terminal (loop/process: the spawn
 * helper's lane for the agents' nice, a session of its own otherwise), which is what that flag guards
 * (TIOCSTI into the terminal). A second session would put the agent in a new scheduler autogroup at
 * nice 0, where the nice its start set (loop/process) no longer applies: an agent spinning on a core
 * weighed as much as the whole loop.
 */
export function baseArgs(network: AgentNetwork): string[] {
  return [
    '--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    ...(network === 'host' ? [] : ['--unshare-net']),
    '--die-with-parent', '--cap-drop', 'ALL',
    '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc',
  ];
}

/** `bwrap <flags> -- file args` for one agent process. */
export function bwrapArgv(layout: BoxLayout, file: string, args: readonly string[], bin = 'bwrap'): { file: string; args: string[] } {
  const out = baseArgs(layout.network);
  for (const dir of layout.hiddenDirs) out.push('--tmpfs', dir);
  for (const path of layout.hiddenFiles) out.push('--ro-bind', '/dev/null', path);
  for (const path of new Set(layout.writable)) if (existsSync(path)) out.push('--bind', path, path);
  for (const [source, destination] of layout.overlays) out.push('--bind', source, destination);
  out.push('--setenv', 'NIGHTSHIFT_SANDBOXED', 'bwrap', '--chdir', layout.cwd, '--', file, ...args);
  return { file: bin, args: out };
}

/** Why bubblewrap cannot start a sandbox here, or undefined when it can (one `bwrap ... true`). */
export async function probeBwrap(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const bin = bwrapBin(env);
  const probe = await captureProcess(bin, [...baseArgs('none'), '--', 'true'], { cwd: '/', env });
  if (probe.exitCode === 0) return undefined;
  const why = probe.stderr.trim().split('\n').at(-1) ?? '';
  if (probe.exitCode === -1 || /ENOENT|not found/i.test(why)) return `${bin} is not installed`;
  return `${bin} failed: ${why || `exit ${probe.exitCode}`}`;
}
