// The `Agent` port: one headless run of a worker, reviewer, heal or blocked-check agent under the
// protocol of DESIGN.md ("Scripted agents"). Adapters (command, claude, codex, gemini) satisfy it.

export type AgentRole = 'worker' | 'reviewer' | 'heal' | 'blocked-check';

export type AgentRun = {
  role: AgentRole;
  ticket?: string;
  pass: number;
  /** Working directory: the ticket's worktree, or the heal worktree. */
  cwd: string;
  /** The rendered prompt, already written to this file. */
  promptFile: string;
  /** Where the agent writes its JSON result. */
  resultFile: string;
  /** The agent's own output goes here. */
  logFile: string;
  /** Environment the agent starts from (already stripped of tracker credentials). */
  env: NodeJS.ProcessEnv;
  /** Extra protocol variables (NIGHTSHIFT_JOURNAL_FILE, ...). */
  extraEnv?: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  onSpawn?: (pid: number) => void;
  /**
   * Called by the sandbox (loop/sandbox) once the agent's processes have exited, with what the adapter
   * made of them, before it hands the branch back: the agent's slot may go to the next agent meanwhile.
   */
  onExit?: (outcome: AgentOutcome) => void;
  /** Set by the sandbox (loop/sandbox): every process the adapter starts goes through it. */
  sandbox?: (file: string, args: readonly string[]) => { file: string; args: string[] };
};

/** What the agent's CLI reported besides the result file. */
export type AgentReport = {
  costUsd?: number;
  turns?: number;
  sessionId?: string;
};

export type AgentOutcome =
  | { kind: 'finished'; exitCode: number; durationMs: number; report: AgentReport }
  | { kind: 'timed-out'; durationMs: number }
  | { kind: 'crashed'; detail: string; durationMs: number }
  | { kind: 'rate-limited'; detail: string; retryAfterMs?: number; durationMs: number };

export type Agent = {
  /** The SPEC it was made from, e.g. `claude:opus` or `command:/path/agent`. */
  readonly spec: string;
  /** Who makes the model (reviewers must come from two vendors). */
  readonly vendor: string;
  run(input: AgentRun): Promise<AgentOutcome>;
};
