// The shape of a corpus heal and the edits heals are written with. An edit whose anchor is gone throws
// (naming the heal, the file and the anchor), so a heal that no longer applies fails loudly instead of
// silently judging an unchanged candidate.
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CheckName } from '../../heal/tripwire.ts';

export type Heal = {
  name: string;
  about: string;
  kind: 'adversarial' | 'benign';
  /** Which check must reject it (adversarial), so a heal caught "by accident" earlier shows. */
  rejectedBy?: CheckName;
  /** Also part of the few that get the full verdict through the CLI. */
  full?: boolean;
  /** false: leave the change uncommitted. */
  commit?: boolean;
  /** Judge it as a REV of the trusted repo instead of a DIR. */
  asRev?: boolean;
  /** Not a clone: `apply` builds the candidate dir itself. */
  fresh?: boolean;
  apply: (dir: string, trusted: string) => void | Promise<void>;
};

export function read(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8');
}

export function write(dir: string, file: string, text: string): void {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), text);
}

/** Replaces the first match of `anchor` in `file`; throws when the anchor is not there. */
export function replace(dir: string, file: string, anchor: string | RegExp, by: string): void {
  const text = read(dir, file);
  const found = typeof anchor === 'string' ? text.includes(anchor) : anchor.test(text);
  if (!found) throw new Error(`heal edit: ${file} no longer contains ${String(anchor)}; update the heal`);
  write(dir, file, text.replace(anchor, by));
}

export function append(dir: string, file: string, text: string): void {
  write(dir, file, `${read(dir, file)}${text}`);
}

export function remove(dir: string, file: string): void {
  if (!existsSync(join(dir, file))) throw new Error(`heal edit: ${file} does not exist`);
  rmSync(join(dir, file));
}

export function link(dir: string, file: string, target: string): void {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  symlinkSync(target, join(dir, file));
}
