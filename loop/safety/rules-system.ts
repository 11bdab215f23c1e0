// Rules for what reaches past the project: the machine (shutdown, disks, firewall, services, crontab,
// killing every process), other machines (`ssh host CMD` is checked like a local command), deploy
// scripts (`npm run deploy`, `make release`), and programs handed code as a string (`python -c`,
// `node -e`, ...): string literals that read as shell commands are checked as such; and dumps of the
// environment, from the shell or from code.
import { positionals } from './args.ts';
import type { Invocation } from './invocation.ts';
import { isSecretName } from './secrets.ts';

const POWER = new Set(['shutdown', 'reboot', 'halt', 'poweroff', 'wipefs', 'fdisk', 'sfdisk', 'parted', 'mkswap', 'swapoff']);
const INTERPRETERS = /^(python[0-9.]*|node|nodejs|bun|deno|perl|ruby|php|osascript)$/;
const CODE_FLAGS = new Set(['-c', '-e', '-E', '--eval', '-r', '-p', '--print', 'eval']);
const COMMAND_WORDS = /^(rm|git|psql|mysql|sqlite3|terraform|kubectl|helm|aws|gcloud|az|pulumi|sudo|bash|sh|curl|wget|cat|chmod|chown|dd|mv|cp|find|redis-cli|dropdb|npm|docker)\s/;
const ENV_DUMP = /\bos\.environ\s*[),]|dict\(\s*os\.environ\s*\)|JSON\.stringify\(\s*process\.env\s*[,)]|console\.(log|dir)\(\s*process\.env\s*\)|Deno\.env\.toObject\(\)|\bENV\.to_h\b|%ENV\b/;
const DEPLOY_SCRIPT = /^(deploy|release|publish|ship|prod|production|rollout)([:_-].*)?$/;

/** A shell command found inside another program's code, to be checked by the caller. */
export type Nested = { source: string };

export function checkSystem(command: Invocation): string | undefined {
  const { name, args } = command;
  const words = positionals(args).map((w) => w.text);
  if (POWER.has(name) || /^mkfs(\.|$)/.test(name)) return `\`${name}\` acts on the whole machine`;
  if (name === 'systemctl' && /^(stop|disable|mask|kill|restart|poweroff|reboot|halt|isolate|daemon-reload)$/.test(words[0] ?? '')) return `\`systemctl ${words[0]}\` changes the machine's services`;
  if (name === 'service' && /^(stop|restart)$/.test(words[1] ?? '')) return `\`service ${words[0]} ${words[1]}\` changes the machine's services`;
  if (name === 'iptables' || name === 'ip6tables' || name === 'nft' || name === 'ufw') {
    if (args.some((a) => /^(-[FXDAIP]|--flush|--delete|--append|--insert|flush|delete|disable|reset)$/.test(a.text))) return `\`${name}\` changes the firewall`;
  }
  if (name === 'crontab' && !args.some((a) => a.text === '-l')) return 'crontab changes scheduled jobs outside the worktree';
  if ((name === 'kill' || name === 'pkill' || name === 'killall') && (words.includes('1') || words.includes('-1') || args.some((a) => a.text === '-1') || name === 'killall' && words.length === 0)) {
    return 'it signals init or every process of the user';
  }
  if (['npm', 'pnpm', 'yarn', 'bun'].includes(name)) {
    const script = words[0] === 'run' || words[0] === 'run-script' ? words[1] : name === 'yarn' || name === 'pnpm' || name === 'bun' ? words[0] : undefined;
    if (script && DEPLOY_SCRIPT.test(script)) return `\`${name} ${words.join(' ')}\` runs a deploy or release script; the harness never deploys`;
  }
  if (name === 'make' && words.some((w) => DEPLOY_SCRIPT.test(w))) return `\`make ${words.join(' ')}\` runs a deploy or release target; the harness never deploys`;
  return undefined;
}

/** Shell commands hidden in a remote command or in code given as a string: checked by the caller. */
export function nestedCommands(command: Invocation): Nested[] {
  const { name, args } = command;
  if (name === 'ssh') {
    const withValue = new Set(['-p', '-i', '-l', '-o', '-F', '-J', '-L', '-R', '-D', '-b', '-c', '-E', '-e', '-m', '-O', '-Q', '-S', '-W', '-w', '-B', '-I']);
    let i = 0;
    while (i < args.length && args[i]!.text.startsWith('-')) i += withValue.has(args[i]!.text) ? 2 : 1;
    const remote = args.slice(i + 1).map((a) => a.text).join(' ');
    return remote.trim() ? [{ source: remote }] : [];
  }
  if (!INTERPRETERS.test(name)) return [];
  const nested: Nested[] = [];
  for (let i = 0; i < args.length; i++) {
    if (!CODE_FLAGS.has(args[i]!.text) && !(name === 'osascript' && args[i]!.text === '-e')) continue;
    const code = args[i + 1]?.text ?? '';
    for (const literal of code.matchAll(/'([^'\\]*(?:\\.[^'\\]*)*)'|"([^"\\]*(?:\\.[^"\\]*)*)"|`([^`]*)`/g)) {
      const text = (literal[1] ?? literal[2] ?? literal[3] ?? '').trim();
      if (COMMAND_WORDS.test(`${text} `)) nested.push({ source: text });
    }
    for (const call of code.matchAll(/\b(?:rmtree|rmSync|rmdirSync|remove_dir_all|rm_rf|unlink|removedirs)\s*\(\s*(['"])([^'"]+)\1/g)) {
      nested.push({ source: `rm -rf ${quote(call[2]!)}` });
    }
  }
  return nested;
}

/** Printing the whole environment (or a secret variable of it), from the shell or from code. */
export function checkEnvironmentDump(command: Invocation): string | undefined {
  const { name, args } = command;
  if (name === 'printenv' && (args.length === 0 || args.some((a) => isSecretName(a.text)))) return 'it prints environment variables that hold credentials';
  if ((name === 'export' || name === 'declare' || name === 'typeset') && (args.length === 0 || args.every((a) => /^-[a-zA-Z]*[px]/.test(a.text)))) return 'it prints every exported variable, credentials included';
  if (name === 'set' && args.length === 0) return 'bare `set` prints every variable, credentials included';
  if (INTERPRETERS.test(name) && args.some((a, i) => i > 0 && CODE_FLAGS.has(args[i - 1]!.text) && ENV_DUMP.test(a.text))) return 'its code prints the whole environment, which holds credentials';
  return undefined;
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
