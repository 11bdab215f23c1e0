// What every part of a run is handed (dependencies passed in, no singletons).
import type { Git } from './git/git.ts';
import type { Tracker } from '../trackers/types.ts';
import type { Agent } from './agents/types.ts';
import type { RunOptions } from '../oracle/run-options.ts';
import type { EventLog, StatePaths } from './state/state.ts';
import type { TargetGuard } from './guards/target-guard.ts';
import type { ForeignWrites } from './guards/foreign-writes.ts';
import type { Environment } from './worktree/environment.ts';
import type { WorktreePool } from './worktree/worktree-pool.ts';
import type { PullLanding } from './forge/forge.ts';

export type LoopContext = {
  options: RunOptions;
  tracker: Tracker;
  repo: Git;
  paths: StatePaths;
  log: EventLog;
  /** This run's id (a new one per loop process). */
  run: string;
  agent: Agent;
  reviewers: Agent[];
  /** The environment agents and verify commands start from (credentials are removed per agent). */
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  /** Runs `fn` while holding the one merge lock of the target branch. */
  withMergeLock: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Runs a read that must not see a merge half done, without queueing when no merge runs (loop/land/merge-lock.ts). */
  readBesideMerges: <T>(fn: () => Promise<T>) => Promise<T>;
  /** `--land push`: the target's upstream every merge and revert is pushed to before it counts (loop/land/push.ts). */
  upstream?: { remote: string; branch: string };
  /** `--land pr`: the forge every landing goes through (a pull request per ticket, its required checks, its merge). */
  pulls?: PullLanding;
  /** Knows where the loop last put the target; use only under the merge lock. */
  targetGuard: TargetGuard;
  /** Where ticket and replay worktrees come from and go back to (reused rather than added anew). */
  worktrees: WorktreePool;
  /** How every worktree is prepared before anything runs in it (set-up, cached by lockfile). */
  environment: Environment;
  /** Undoes and records foreign writes to the tickets file and the loop's state files (absent in some tests). */
  foreignWrites?: ForeignWrites;
  /**
   * Whether the agents' sandbox keeps them from writing the repository outside their worktree (no
   * snapshot of the refs and the main checkout around each pass is then needed). Absent: not known, snapshot.
   */
  sandboxConfinesRepo?: boolean;
  /** Aborted when the tracker shows the ticket's pass must stop (a person canceled it or moved it to done). */
  trackerStop?: (key: string) => AbortSignal | undefined;
  /**
   * Frees the ticket's agent slot before its `agent-end` (the agent's processes have exited; the
   * sandbox still hands the branch back). Absent: the slot is freed at `agent-end`.
   */
  agentExited?: (key: string, pass: number) => void;
};
