// Which places outside the worktree an agent's sandbox opens or hides: the home dirs its CLI needs
// (writable), and credentials (hidden). Everything else is read-only through the read-only root.
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Home entries each vendor's CLI writes (its login, settings, sessions); `command:` agents get none. */
const VENDOR_HOMES: Record<string, string[]> = {
  anthropic: ['.claude', '.claude.json', '.config/claude'],
  openai: ['.codex'],
  google: ['.gemini'],
};

/** Credentials and secrets no agent reads: directories hidden behind an empty tmpfs, files behind /dev/null. */
const SECRET_HOME_PATHS = ['.ssh', '.aws', '.azure', '.config/gcloud', '.config/gh', '.config/hub', '.kube', '.docker', '.gnupg', '.password-store', '.netrc', '.git-credentials', '.npmrc', '.pypirc', '.config/nightshift'];

export function vendorHomes(vendor: string, env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? homedir();
  return (VENDOR_HOMES[vendor] ?? []).map((entry) => join(home, entry)).filter((path) => existsSync(path));
}

/** Existing secret places to hide, split into directories and files; `.env*` files of the given dirs too. */
export function secretPlaces(env: NodeJS.ProcessEnv, envFileDirs: string[]): { dirs: string[]; files: string[] } {
  const home = env.HOME ?? homedir();
  const dirs: string[] = [];
  const files: string[] = [];
  const candidates = [...SECRET_HOME_PATHS.map((entry) => join(home, entry)), ...envFileDirs.flatMap((dir) => ['.env', '.env.local', '.env.production'].map((name) => join(dir, name)))];
  for (const path of candidates) {
    try {
      (statSync(path).isDirectory() ? dirs : files).push(path);
    } catch {
      // not there: nothing to hide
    }
  }
  return { dirs, files };
}
