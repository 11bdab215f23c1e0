// Picks the tracker adapter for a configuration: the one place that knows all adapters.
import { UsageError } from './errors.ts';
import { openLocalTracker } from './local.ts';
import type { Tracker } from './types.ts';

export type TrackerKind = 'local' | 'linear' | 'jira';

export type TrackerConfig = {
  kind: TrackerKind;
  /** The tickets file of the local tracker. */
  tickets?: string | undefined;
};

/** Opens the configured tracker; credentials come from `env`, never from flags or files. */
export async function openTracker(config: TrackerConfig, env: NodeJS.ProcessEnv = process.env): Promise<Tracker> {
  switch (config.kind) {
    case 'local':
      if (!config.tickets) {
        throw new UsageError('tickets-missing', 'the local tracker needs --tickets FILE (the JSON tickets file). See `nightshift demo --setup-only` for an example.');
      }
      return openLocalTracker({ path: config.tickets });
    case 'linear':
    case 'jira':
      void env;
      throw new UsageError('tracker-unavailable', `the ${config.kind} tracker adapter is not built yet. Use --tracker local.`);
  }
}
