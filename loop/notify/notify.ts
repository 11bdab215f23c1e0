// Webhook notifications: each notice is POSTed to every configured webhook, in Slack's incoming-webhook
// shape (`{text}`) or as a generic JSON object (`{kind, text, ...facts}`), retried with backoff
// (p-retry) in the background. Sending never blocks the loop and never throws: a notice that cannot be
// delivered is a `notify-failed` event. `drain` waits, for a bounded time, for what is still in flight.
import pRetry, { AbortError } from 'p-retry';
import type { NotifyTarget } from '../../oracle/run-options.ts';
import type { LoopEvent } from '../state/state.ts';

export type NoticeKind = 'run-ended' | 'ticket-gated' | 'heal-judged' | 'budget-warning';

/** One thing a person should hear about; `about` names what it is about, so it is sent once. */
export type Notice = { kind: NoticeKind; about: string; text: string; facts: Record<string, string | number | boolean | null> };

export type Notifier = {
  send(notice: Notice): void;
  /** Waits until every notice in flight is delivered or given up, or `timeoutMs` passed. */
  drain(timeoutMs: number): Promise<void>;
};

export type NotifierDeps = {
  emit: (event: LoopEvent) => void;
  /** Retries after the first attempt; the waits double from `minTimeoutMs` (defaults: 4, 500 ms). */
  retries?: number;
  minTimeoutMs?: number;
  /** One attempt's time limit (default 5 s). */
  attemptMs?: number;
};

/** Where a notice went, for events: the host only (a webhook's path is its secret). */
export function targetName(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '?';
  }
}

export function bodyOf(target: NotifyTarget, notice: Notice): string {
  return JSON.stringify(target.format === 'slack' ? { text: notice.text } : { kind: notice.kind, text: notice.text, ...notice.facts });
}

export function openNotifier(targets: readonly NotifyTarget[], deps: NotifierDeps): Notifier {
  const inFlight = new Set<Promise<void>>();
  const stop = new AbortController();
  const deliver = async (target: NotifyTarget, notice: Notice): Promise<void> => {
    let attempts = 0;
    try {
      await pRetry(async () => {
        attempts++;
        const response = await fetch(target.url, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: bodyOf(target, notice),
          signal: AbortSignal.any([stop.signal, AbortSignal.timeout(deps.attemptMs ?? 5_000)]), redirect: 'error',
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return;
        const problem = `HTTP ${response.status}`;
        // a receiver that refuses the request (other than "too many") will refuse it again
        if (response.status >= 400 && response.status < 500 && response.status !== 429 && response.status !== 408) throw new AbortError(problem);
        throw new Error(problem);
      }, { retries: deps.retries ?? 4, minTimeout: deps.minTimeoutMs ?? 500, factor: 2, signal: stop.signal });
      deps.emit({ type: 'notify-sent', kind: notice.kind, about: notice.about, target: targetName(target.url), attempts });
    } catch (error) {
      const problem = error instanceof Error ? (error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message) : String(error);
      deps.emit({ type: 'notify-failed', kind: notice.kind, about: notice.about, target: targetName(target.url), attempts, problem });
    }
  };
  return {
    send(notice) {
      for (const target of targets) {
        const sending = deliver(target, notice).catch(() => undefined);
        inFlight.add(sending);
        void sending.finally(() => inFlight.delete(sending));
      }
    },
    async drain(timeoutMs) {
      if (inFlight.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          stop.abort(new Error(`given up: the run ended and ${timeoutMs} ms passed`));
          resolve();
        }, timeoutMs);
      });
      await Promise.race([Promise.allSettled([...inFlight]), timeout]);
      clearTimeout(timer);
      // what the abort cut short records its failure before the loop goes on
      await Promise.allSettled([...inFlight]);
    },
  };
}
