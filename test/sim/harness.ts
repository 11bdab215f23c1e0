// One way to stand up any tracker for a test, the benchmark or the tripwire: the local tickets file in
// a temp dir, or a Linear, Jira or GitHub simulator with the real adapter pointed at it. Each harness also
// gives the environment and flags that point `nightshift oracle` at the same tracker.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGithubTracker } from '../../trackers/github.ts';
import { openJiraTracker } from '../../trackers/jira.ts';
import { openLinearTracker } from '../../trackers/linear.ts';
import { openLocalTracker } from '../../trackers/local.ts';
import type { GateOptions } from '../../trackers/retry.ts';
import type { Tracker } from '../../trackers/types.ts';
import type { FaultKind, FaultPlan } from './faults.ts';
import type { SimTicket } from './fixtures.ts';
import { seedTickets, splitKey } from './fixtures.ts';
import { startGithubSim } from './github-server.ts';
import { startJiraSim } from './jira-server.ts';
import { startLinearSim } from './linear-server.ts';

export type HarnessKind = 'local' | 'linear' | 'jira' | 'github';

export type TrackerHarness = {
  kind: HarnessKind;
  tracker: Tracker;
  /** Environment for `nightshift oracle` / `run` against the same tracker (credentials included). */
  env: Record<string, string>;
  /** `--tracker ...` flags for the same. */
  args: string[];
  /** The tracker's own truth (the file, or the simulator's world), not read through the adapter. */
  state(): SimTicket[];
  /** Requests the simulator received (0 for local). */
  requests(): number;
  /** Linear complexity points charged so far (0 for local and Jira, which price requests only). */
  points(): number;
  injected: FaultKind[];
  rejected: string[];
  close(): Promise<void>;
};

export type HarnessOptions = { tickets: readonly unknown[]; seed?: number; faults?: FaultPlan; gate?: GateOptions; /** Linear: complexity points per hour before the simulator limits (Linear's 250,000 when absent). */ complexityBudget?: number };

export async function startHarness(kind: HarnessKind, options: HarnessOptions): Promise<TrackerHarness> {
  switch (kind) {
    case 'local': {
      const file = join(mkdtempSync(join(tmpdir(), 'nightshift-local-')), 'tickets.json');
      const tickets = seedTickets(options.tickets);
      const project = splitKey(tickets[0]?.key ?? 'ENG-1').prefix;
      writeFileSync(file, `${JSON.stringify({ project, tickets }, null, 2)}\n`);
      return {
        kind, tracker: openLocalTracker({ path: file }), env: {}, args: ['--tracker', 'local', '--tickets', file],
        state: () => (JSON.parse(readFileSync(file, 'utf8')) as { tickets: SimTicket[] }).tickets,
        requests: () => 0, points: () => 0, injected: [], rejected: [], close: async () => {},
      };
    }
    case 'linear': {
      const sim = await startLinearSim(options);
      return {
        kind,
        tracker: openLinearTracker({ apiKey: sim.apiKey, apiUrl: sim.url, ...(options.gate ? { gate: options.gate } : {}) }),
        env: { LINEAR_API_KEY: sim.apiKey, LINEAR_API_URL: sim.url },
        args: ['--tracker', 'linear'],
        state: () => sim.tickets(), requests: () => sim.requests(), points: () => sim.points(), injected: sim.injected, rejected: sim.rejected, close: () => sim.close(),
      };
    }
    case 'jira': {
      const sim = await startJiraSim(options);
      return {
        kind,
        tracker: openJiraTracker({ host: sim.url, email: sim.email, apiToken: sim.apiToken, strictSchemas: true, ...(options.gate ? { gate: options.gate } : {}) }),
        env: { JIRA_HOST: sim.url, JIRA_EMAIL: sim.email, JIRA_API_TOKEN: sim.apiToken, NIGHTSHIFT_TRACKER_STRICT_SCHEMAS: '1' },
        args: ['--tracker', 'jira'],
        state: () => sim.tickets(), requests: () => sim.requests(), points: () => 0, injected: sim.injected, rejected: sim.rejected, close: () => sim.close(),
      };
    }
    case 'github': {
      const sim = await startGithubSim(options);
      return {
        kind,
        tracker: openGithubTracker({ token: sim.token, baseUrl: sim.url, repository: sim.repository, ...(options.gate ? { gate: options.gate } : {}) }),
        env: { GITHUB_TOKEN: sim.token, GITHUB_API_URL: sim.url, GITHUB_REPOSITORY: sim.repository },
        args: ['--tracker', 'github'],
        state: () => sim.tickets(), requests: () => sim.requests(), points: () => 0, injected: sim.injected, rejected: sim.rejected, close: () => sim.close(),
      };
    }
  }
}
