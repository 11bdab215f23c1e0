// Whether a process lives, without loading the subprocess module (execa): readers of a state dir
// (`status`, `report`, `serve`) need only this.

/** A process we may not signal (EPERM) is alive too. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
