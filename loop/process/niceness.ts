// A command at a lower priority started through a shell: where the spawn helper has no lane for its nice
// (the node helper, a Python helper whose lane cannot start) and where commands start in the loop itself.

/**
 * The shell sets the nice before anything of the command runs: the nice of its scheduling autogroup,
 * then nice(1). A command in its own session is in its own autogroup where the kernel has them (Linux's
 * sched_autogroup_enabled, the default on many kernels): CPU is shared between autogroups first and a
 * process's nice counts only inside its group, so an agent at nice 10 in its session took as much of a
 * core as the whole loop. The autogroup's nice covers the command and all it starts; lowering a priority
 * needs no privilege; where there are no autogroups the write fails quietly. Through nice(1) too, for
 * kernels without autogroups.
 */
const LOWER = '{ echo "$0" >/proc/self/autogroup; } 2>/dev/null; exec nice -n "$0" "$@"';

/** `file args` started at `niceness` through the shell (as they are without one). */
export function loweredArgv(niceness: number | undefined, file: string, args: readonly string[]): [string, string[]] {
  if (!niceness) return [file, [...args]];
  return ['sh', ['-c', LOWER, String(niceness), file, ...args]];
}
