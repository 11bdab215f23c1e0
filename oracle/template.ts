// `{{name}}` placeholders, all required: a template that names a value the caller did not give, or a
// value given that the template lacks, fails loudly. Frozen because the heal pass renders its prompts
// with it; the loop renders the templates of prompts/ with it too.

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
