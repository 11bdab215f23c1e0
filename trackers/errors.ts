// The few error classes every part of nightshift throws, each with a stable code and the exit code
// of DESIGN.md. Lives in trackers/ because that is the one folder every other folder may import.

/** Exit codes of the command line (DESIGN.md, "Operator surface"). */
export const ExitCode = {
  done: 0,
  notDone: 1,
  usage: 2,
  needsHuman: 3,
  budgetSpent: 4,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A fatal condition the command line reports and exits on; `message` says what, where and what to do. */
export class FatalError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  constructor(code: string, message: string, exitCode: ExitCodeValue, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Bad flags, a bad batch, a bad config or tickets file: exit 2, nothing written. */
export class UsageError extends FatalError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, ExitCode.usage, options);
  }
}

/** The tracker could not be read or written (network, auth, 5xx, malformed answer): exit 2. */
export class TrackerError extends FatalError {
  readonly retryable: boolean;
  constructor(code: string, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(code, message, ExitCode.usage, options);
    this.retryable = options?.retryable ?? false;
  }
}

/** The run's dollar budget is spent: exit 4. */
export class BudgetError extends FatalError {
  constructor(message: string) {
    super('budget-spent', message, ExitCode.budgetSpent);
  }
}

/** Formats the first few zod issues as `path.to.field: message` lines. */
export function formatZodIssues(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
  limit = 5,
): string {
  const lines = issues.slice(0, limit).map((issue) => {
    const path = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
    return `  ${path}: ${issue.message}`;
  });
  if (issues.length > limit) lines.push(`  ... and ${issues.length - limit} more`);
  return lines.join('\n');
}
