// `--land pr`'s forge: which GitHub repository it names and what it refuses before anything starts.
import { expect, test } from 'vitest';
import { githubRepository, openForge } from '../../../loop/forge/forge.ts';

test('the forge\'s repository is GITHUB_REPOSITORY, else the remote\'s github.com URL', () => {
  expect(githubRepository('https://github.com/acme/app.git')).toBe('acme/app');
  expect(githubRepository('git@github.com:acme/app.git')).toBe('acme/app');
  expect(githubRepository('ssh://git@github.com/acme/app')).toBe('acme/app');
  expect(githubRepository('https://x-access-token:t@github.com/acme/app.js.git')).toBe('acme/app.js');
  expect(githubRepository('/srv/git/app.git')).toBeUndefined();
  expect(githubRepository('https://gitlab.com/acme/app.git')).toBeUndefined();
  expect(openForge({ GITHUB_TOKEN: 't' }, 'git@github.com:acme/app.git').repository).toBe('acme/app');
  expect(openForge({ GITHUB_TOKEN: 't', GITHUB_REPOSITORY: 'team/other' }, 'git@github.com:acme/app.git').repository).toBe('team/other');
  expect(() => openForge({}, 'git@github.com:acme/app.git')).toThrow(/GITHUB_TOKEN is not set/);
  expect(() => openForge({ GITHUB_TOKEN: 't' }, 'https://u:secret@example.com/app.git')).toThrow(/https:\/\/\*\*\*@example.com/);
});
