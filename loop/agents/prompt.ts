// Renders the markdown templates of prompts/ (`{{name}}` placeholders, all required; oracle/template.ts).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderTemplate } from '../../oracle/template.ts';

export type PromptName = 'worker' | 'reviewer' | 'heal' | 'blocked-check';

const PROMPTS_DIR = fileURLToPath(new URL('../../prompts/', import.meta.url));

export function renderPrompt(name: PromptName, values: Readonly<Record<string, string>>, dir = PROMPTS_DIR): string {
  const template = readFileSync(`${dir}${name}.md`, 'utf8');
  return renderTemplate(template, values, `prompts/${name}.md`);
}
