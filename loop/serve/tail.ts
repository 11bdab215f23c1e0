// Follows a state dir's events.jsonl while someone listens: each complete new line is parsed and handed
// to the listeners with its index in the log. A stat every `intervalMs` (fs.watchFile), so it works on
// any file system and costs nothing while nobody listens.
import { closeSync, existsSync, openSync, readSync, statSync, unwatchFile, watchFile } from 'node:fs';
import type { StampedEvent } from '../report/model.ts';

export type Indexed = StampedEvent & { index: number };
export type Tail = { listen(listener: (event: Indexed) => void, fromIndex: number, backlog: (from: number) => Indexed[]): () => void; close(): void };

export function openTail(path: string, intervalMs = 250): Tail {
  const listeners = new Set<(event: Indexed) => void>();
  let offset = 0;
  let index = 0;
  let partial = '';
  let started = false;
  const readNew = () => {
    if (!existsSync(path)) return;
    const size = statSync(path).size;
    if (size < offset) {
      // the log was replaced: start over (indexes restart with it)
      offset = 0;
      index = 0;
      partial = '';
    }
    if (size === offset) return;
    const fd = openSync(path, 'r');
    try {
      const buffer = Buffer.alloc(size - offset);
      readSync(fd, buffer, 0, buffer.length, offset);
      offset = size;
      const lines = (partial + buffer.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        let event: StampedEvent;
        try {
          event = JSON.parse(line) as StampedEvent;
        } catch {
          continue; // a line cut short by a crash is not an event (readEvents skips it too)
        }
        const indexed = { ...event, index: index++ };
        if (started) for (const listener of listeners) listener(indexed);
      }
    } finally {
      closeSync(fd);
    }
  };
  const start = () => {
    readNew();
    started = true;
    watchFile(path, { interval: intervalMs, persistent: false }, readNew);
  };
  return {
    listen(listener, fromIndex, backlog) {
      if (!started) start();
      // what the client has not seen yet, up to now; then every new line
      for (const event of backlog(fromIndex)) if (event.index < index) listener(event);
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && started) {
          unwatchFile(path, readNew);
          started = false;
        }
      };
    },
    close() {
      listeners.clear();
      unwatchFile(path, readNew);
      started = false;
    },
  };
}
