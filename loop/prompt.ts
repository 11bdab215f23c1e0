// Renders the markdown templates of prompts/: `{{name}}` placeholders, all required. A template that
// names a value the caller did not give, or a value given that the template lacks, fails loudly.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type PromptName = 'worker' | 'reviewer' | 'heal' | 'blocked-check';

const PROMPTS_DIR = fileURLToPath(new URL('../prompts/', import.meta.url));

export class PromptError extends Error {}

export function renderTemplate(template: string, values: Readonly<Record<string, string>>, name = 'template'): string {
  const used = new Set<string>();
  const text = template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new PromptError(`prompt ${name} uses {{${key}}} but no value was given for it`);
    used.add(key);
    return value;
  });
  const unused = Object.keys(values).filter((key) => !used.has(key));
  if (unused.length > 0) throw new PromptError(`prompt ${name} has no placeholder for ${unused.map((k) => `{{${k}}}`).join(', ')}`);
  return text;
}

export function renderPrompt(name: PromptName, values: Readonly<Record<string, string>>, dir = PROMPTS_DIR): string {
  const template = readFileSync(`${dir}${name}.md`, 'utf8');
  return renderTemplate(template, values, `prompts/${name}.md`);
}
