// Counts the reads of a local tickets file honestly: the "file" is a named pipe (FIFO) that this
// process feeds, so every open for reading is seen by the kernel handing us a writer end. A tracker
// that answers from a cache never opens it and reads 0 times. After each reader connects, the path is
// swapped for a fresh FIFO, so a slow reader never sees two copies of the content.
import { constants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { execa } from 'execa';

export type FifoFile = {
  /** Opens for reading (by anyone) served so far. */
  reads(): number;
  /** Stops serving; the path is left as an idle FIFO. */
  close(): Promise<void>;
};

async function mkfifo(path: string): Promise<void> {
  await rm(path, { force: true });
  await execa('mkfifo', ['-m', '0600', path], { stdin: 'ignore' });
}

/** Serves `content` to every reader of `path` (created here) until `close()`. */
export async function serveFifo(path: string, content: string): Promise<FifoFile> {
  const next = `${path}.next`;
  await mkfifo(path);
  await mkfifo(next);
  let reads = 0;
  let stopped = false;
  const serving = (async () => {
    while (!stopped) {
      // blocks (in the libuv pool) until a reader opens the path
      const handle: FileHandle = await open(path, constants.O_WRONLY);
      if (stopped) {
        await handle.close();
        break;
      }
      reads++;
      await rename(next, path);
      try {
        await handle.writeFile(content);
      } catch {
        // the reader went away early (EPIPE): it still opened the file, which is what we count
      }
      await handle.close();
      await mkfifo(next);
    }
  })();
  return {
    reads: () => reads,
    async close() {
      stopped = true;
      // a reader of our own releases a writer blocked in open(); it stays open until the loop ends
      const unblock = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        await serving;
      } finally {
        await unblock.close();
        await rm(next, { force: true });
      }
    },
  };
}
