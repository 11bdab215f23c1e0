// Picks the tracker adapter for a configuration: the one place that knows all adapters. Remote
// trackers take their credentials from the environment only, checked here before any request; a
// missing one is named (never its value) with where to get it.
import { UsageError } from './errors.ts';
import { openLocalTracker } from './local.ts';
import type { GateOptions } from './retry.ts';
import type { Tracker } from './types.ts';

export type TrackerKind = 'local' | 'linear' | 'jira' | 'github';

export type TrackerConfig = {
  kind: TrackerKind;
  /** The tickets file of the local tracker. */
  tickets?: string | undefined;
};

const WHERE: Record<string, string> = {
  LINEAR_API_KEY: 'a personal API key from Linear: Settings > Account > Security & access',
  JIRA_HOST: 'your site, e.g. https://your-site.atlassian.net',
  JIRA_EMAIL: 'the email of the Atlassian account the token belongs to',
  JIRA_API_TOKEN: 'an API token from https://id.atlassian.com/manage-profile/security/api-tokens',
  GITHUB_TOKEN: 'a fine-grained personal access token with Issues read and write on the repository (GitHub: Settings > Developer settings)',
};

function required(env: NodeJS.ProcessEnv, tracker: string, names: string[]): string[] {
  const missing = names.filter((name) => !env[name]?.trim());
  if (missing.length > 0) {
    throw new UsageError(
      `${tracker}-credentials-missing`,
      `the ${tracker} tracker needs ${missing.join(', ')} in the environment (nothing was read):\n${missing.map((m) => `  ${m}: ${WHERE[m] ?? ''}`).join('\n')}`,
    );
  }
  return names.map((name) => env[name]?.trim() ?? '');
}

function positive(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError('bad-env', `${name} must be a positive whole number, not "${text}".`);
  return n;
}

/**
 * Request limits from the environment: NIGHTSHIFT_TRACKER_BUDGET (requests per run),
 * NIGHTSHIFT_TRACKER_TIMEOUT_MS (per request), NIGHTSHIFT_TRACKER_ATTEMPTS (per read or write).
 */
function gateOptions(env: NodeJS.ProcessEnv): GateOptions {
  const budget = positive(env, 'NIGHTSHIFT_TRACKER_BUDGET');
  const timeoutMs = positive(env, 'NIGHTSHIFT_TRACKER_TIMEOUT_MS');
  const attempts = positive(env, 'NIGHTSHIFT_TRACKER_ATTEMPTS');
  return { ...(budget ? { budget } : {}), ...(timeoutMs ? { timeoutMs } : {}), ...(attempts ? { attempts } : {}) };
}

/** Opens the configured tracker; credentials come from `env`, never from flags or files. */
export async function openTracker(config: TrackerConfig, env: NodeJS.ProcessEnv = process.env): Promise<Tracker> {
  switch (config.kind) {
    case 'local':
      if (!config.tickets) {
        throw new UsageError('tickets-missing', 'the local tracker needs --tickets FILE (the JSON tickets file). See `nightshift demo --setup-only` for an example.');
      }
      return openLocalTracker({ path: config.tickets });
    case 'linear': {
      const [apiKey = ''] = required(env, 'linear', ['LINEAR_API_KEY']);
      // loaded on demand: the SDK clients cost ~75 MB and ~0.5 s of start-up in every oracle call
      const { openLinearTracker } = await import('./linear.ts');
      return openLinearTracker({ apiKey, apiUrl: env.LINEAR_API_URL || undefined, teamKey: env.LINEAR_TEAM_KEY || undefined, gate: gateOptions(env) });
    }
    case 'jira': {
      const [host = '', email = '', apiToken = ''] = required(env, 'jira', ['JIRA_HOST', 'JIRA_EMAIL', 'JIRA_API_TOKEN']);
      const { openJiraTracker } = await import('./jira.ts');
      return openJiraTracker({
        host, email, apiToken,
        projectKey: env.JIRA_PROJECT_KEY || undefined,
        issueType: env.JIRA_ISSUE_TYPE || undefined,
        gate: gateOptions(env),
        strictSchemas: env.NIGHTSHIFT_TRACKER_STRICT_SCHEMAS === '1',
      });
    }
    case 'github': {
      const [token = ''] = required(env, 'github', ['GITHUB_TOKEN']);
      const { openGithubTracker } = await import('./github.ts');
      return openGithubTracker({
        token,
        baseUrl: env.GITHUB_API_URL?.trim() || 'https://api.github.com',
        repository: env.GITHUB_REPOSITORY?.trim() || undefined,
        gate: gateOptions(env),
      });
    }
  }
}
