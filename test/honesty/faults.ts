// Faults the honesty suite injects beyond the trackers' own: the state dir on a tiny filesystem that is
// full. It needs a mount (root, or a user namespace); where neither is allowed the caller is told why
// and the scenario says so in its notes instead of pretending it ran.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';

export type DiskFull = { kind: 'full'; release(): Promise<void> } | { kind: 'unavailable'; reason: string };

/** Mounts a 2 MiB tmpfs on `dir` and fills it to the last few KiB; `release` frees the space and unmounts. */
export async function diskFull(dir: string): Promise<DiskFull> {
  mkdirSync(dir, { recursive: true });
  const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { reject: false });
  if (mounted.exitCode !== 0) return { kind: 'unavailable', reason: `cannot mount a small filesystem on the state dir (${String(mounted.stderr || mounted.message).split("\n")[0] ?? ""})` };
  const filler = join(dir, '.filler');
  // fill to ENOSPC, then give back a little so the loop can start and fail in the middle of its work
  await execa('sh', ['-c', `dd if=/dev/zero of="${filler}" bs=4k 2>/dev/null; truncate -s -24k "${filler}"`], { reject: false });
  return {
    kind: 'full',
    release: async () => {
      // keep what the loop wrote: copy it out, unmount, copy it back onto the real disk
      const keep = `${dir}.keep`;
      await execa('sh', ['-c', `rm -f "${filler}" && cp -a "${dir}" "${keep}" && (umount "${dir}" || umount -l "${dir}") && rm -rf "${dir}" && mv "${keep}" "${dir}"`]);
    },
  };
}
