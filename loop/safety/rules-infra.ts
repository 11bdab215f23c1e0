// Data and infrastructure rules: no DROP/TRUNCATE (or unscoped DELETE, FLUSHALL, dropDatabase) through
// a database client, its flags, its stdin or an SQL file; no schema resets through an ORM; and no apply,
// destroy, delete or deploy through an infrastructure or publishing CLI. Reading and planning are fine.
import { readFileSync, statSync } from 'node:fs';
import { optionValues, positionals } from './args.ts';
import type { GateContext } from './paths.ts';
import { resolveWord } from './paths.ts';
import type { Invocation } from './invocation.ts';

const SQL_CLIENTS: Record<string, string[]> = {
  psql: ['-c', '--command'],
  mysql: ['-e', '--execute'],
  mariadb: ['-e', '--execute'],
  sqlite3: [],
  sqlite: [],
  duckdb: ['-c'],
  'clickhouse-client': ['-q', '--query'],
  sqlcmd: ['-q', '-Q'],
  cockroach: ['-e', '--execute'],
  mongosh: ['--eval'],
  mongo: ['--eval'],
  'redis-cli': [],
};
const SQL_FILES = ['-f', '--file', '-i', '--init'];
const DESTRUCTIVE_SQL = /\b(drop\s+(table|database|schema|view|index|user|role|materialized|sequence|function|procedure|trigger|type|owned|extension|keyspace|collection|if\b)|truncate\b|delete\s+from\s+[\w."`[\]]+\s*(;|$)|flushall\b|flushdb\b|\.drop(database)?\s*\()/i;

export function checkSql(command: Invocation, ctx: GateContext): string | undefined {
  const { name, args } = command;
  if (name === 'dropdb' || name === 'dropuser') return `${name} drops a database object`;
  if (name === 'mysqladmin' && positionals(args).some((w) => /^drop$/i.test(w.text))) return 'mysqladmin drop drops a database';
  const orm = checkOrm(command);
  if (orm) return orm;
  const flags = SQL_CLIENTS[name];
  if (!flags) return undefined;
  const texts = optionValues(args, flags).map((w) => w.text);
  if (name === 'sqlite3' || name === 'sqlite' || name === 'duckdb' || name === 'redis-cli' || flags.length === 0) texts.push(...positionals(args).map((w) => w.text));
  if (command.stdin !== undefined) texts.push(command.stdin);
  for (const file of optionValues(args, SQL_FILES)) {
    const resolved = resolveWord(file, command.state.cwd, ctx);
    if (resolved.kind !== 'path') continue;
    try {
      if (statSync(resolved.path).size < 1_000_000) texts.push(readFileSync(resolved.path, 'utf8'));
    } catch {
      // a missing file: the client fails on its own
    }
  }
  if (name === 'redis-cli' && texts.some((t) => /^(flushall|flushdb)$/i.test(t.trim()))) return 'it empties a Redis database (FLUSHALL/FLUSHDB)';
  const hit = texts.map((t) => DESTRUCTIVE_SQL.exec(t)?.[0]).find(Boolean);
  return hit ? `it runs destructive SQL (${hit.trim()}) through ${name}; DROP, TRUNCATE and unscoped DELETE are never allowed` : undefined;
}

function checkOrm(command: Invocation): string | undefined {
  const words = command.args.map((w) => w.text);
  const text = words.join(' ');
  const runner = command.name === 'npx' || command.name === 'pnpx' || command.name === 'bunx' || (command.name === 'yarn' && words[0] === 'prisma') ? words[0] : command.name;
  if (runner === 'prisma' && /\b(migrate reset|db push .*--(force-reset|accept-data-loss))/.test(text)) return 'it resets the database through Prisma';
  if (['rails', 'rake'].includes(command.name) && /\bdb:(drop|reset|purge|schema:load|truncate_all)\b/.test(text)) return 'it drops or resets the database through Rails';
  if (/^python[0-9.]*$/.test(command.name) && /manage\.py\s+(flush|sqlflush|reset_db|drop_test_database)\b/.test(text)) return 'it empties the database through Django';
  if (['sequelize', 'typeorm', 'knex'].includes(runner ?? '') && /\b(db:drop|schema:drop|migrate:rollback --all)\b/.test(text)) return 'it drops the schema through an ORM';
  return undefined;
}

const MUTATING_VERBS = new Set(['apply', 'destroy', 'delete', 'deploy', 'up', 'update', 'rm', 'remove', 'create', 'replace', 'patch', 'edit', 'scale',
  'autoscale', 'drain', 'cordon', 'uncordon', 'taint', 'untaint', 'label', 'annotate', 'set', 'run', 'expose', 'install', 'upgrade',
  'uninstall', 'rollback', 'import', 'force-unlock', 'refresh', 'cancel', 'publish', 'unpublish', 'push', 'destroy', 'terminate', 'undeploy', 'release',
  'restart', 'stop', 'start', 'purge', 'resize', 'promote', 'restore', 'put', 'write', 'kill', 'revoke', 'disable', 'enable', 'yank', 'upload', 'rb', 'mv', 'sync',
  'set-iam-policy', 'add-iam-policy-binding', 'remove-iam-policy-binding', 'del', 'un', 'deprecate']);

/** Infrastructure CLIs and how many leading positionals form their command path (where the verb is). */
const INFRA_TOOLS: Record<string, number> = {
  kubectl: 1, oc: 1, kubecolor: 1, helm: 1,
  terraform: 2, tofu: 2, terragrunt: 2, pulumi: 2, aws: 2, flyctl: 2, fly: 2, heroku: 2, vercel: 2, netlify: 2, railway: 2, cdk: 2, cdktf: 2,
  serverless: 2, sls: 2, sam: 2, copilot: 2, eb: 2, nomad: 2, vault: 2, firebase: 2, wrangler: 2, supabase: 2, kustomize: 2, eksctl: 2, gsutil: 2,
  gcloud: 4, az: 4, doctl: 4, hcloud: 3, 'linode-cli': 3,
};
const PUBLISHERS: Record<string, RegExp> = {
  npm: /^(publish|unpublish|deprecate|dist-tag (add|rm))\b/, pnpm: /^publish\b/, yarn: /^(npm )?publish\b/, cargo: /^(publish|yank)\b/,
  twine: /^upload\b/, gem: /^(push|yank)\b/, poetry: /^publish\b/, uv: /^publish\b/, docker: /^(push|image push|buildx build .*--push)\b/,
  gh: /^(release (create|delete|upload|edit)|repo (delete|archive|rename|edit)|secret (set|delete)|workflow run|pr merge|api .*-X ?(DELETE|POST|PUT|PATCH))\b/,
};

export function checkDeploy(command: Invocation): string | undefined {
  const { name, args } = command;
  const words = positionals(args, ['-n', '--namespace', '--context', '--profile', '--region', '-f', '--filename', '--project', '-o', '--output', '-c', '--chdir']);
  const line = words.map((w) => w.text).join(' ');
  const publisher = PUBLISHERS[name];
  if (publisher && publisher.test(line) && !args.some((a) => a.text === '--dry-run')) return `\`${name} ${line}\` publishes or changes something outside this machine; the harness never deploys or publishes`;
  if (name === 'ansible-playbook' && !args.some((a) => a.text === '--check' || a.text === '-C' || a.text === '--syntax-check')) return 'ansible-playbook applies changes to machines';
  const depth = INFRA_TOOLS[name];
  if (depth === undefined) return undefined;
  if (name === 'vercel' && (words.length === 0 || args.some((a) => a.text === '--prod'))) return '`vercel` with no command (or with --prod) deploys';
  if (/^(kubectl|oc|kubecolor)$/.test(name) && words[0]?.text === 'rollout') {
    return /^(restart|undo|pause|resume)$/.test(words[1]?.text ?? '') ? `\`${name} rollout ${words[1]!.text}\` changes a live deployment` : undefined;
  }
  const verbs = words.slice(0, depth).flatMap((w) => w.text.split(':')).map((v) => v.toLowerCase());
  const verb = verbs.find((v) => MUTATING_VERBS.has(v) || /^(create|delete|put|update|terminate|remove|run|start|stop|reboot|modify|attach|detach|associate|disassociate|deploy|execute|set|tag|untag|restore|import|register|deregister|invoke|publish|send|reset|revoke|authorize|replace|cancel|enable|disable|upload|copy|change|apply|purge|batch-write|batch-delete|write|admin)-/.test(v));
  if (name === 'aws' && words[0]?.text === 's3' && verb === 'cp' ) return undefined;
  if (name === 'aws' && words[0]?.text === 's3' && words[1]?.text === 'cp' && words.slice(2).at(-1)?.text.startsWith('s3://')) return 'it uploads to S3';
  if (verb) return `\`${name} ${line}\` changes infrastructure (${verb}); the harness never applies, destroys or deploys`;
  return undefined;
}
