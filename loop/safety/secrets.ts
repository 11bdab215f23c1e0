// What counts as a secret for the safety gate: credential files (keys, cloud and registry logins,
// agent logins, .env files) and variables whose names say they hold a token, key or password.
import { basename } from 'node:path';

/** Variables an agent must never see. */
export const SECRET_VARIABLES = ['LINEAR_API_KEY', 'JIRA_API_TOKEN', 'JIRA_EMAIL', 'JIRA_HOST', 'GITHUB_TOKEN', 'GH_TOKEN', 'NIGHTSHIFT_SECRET'];

const SECRET_DIRS = [/\/\.ssh(\/|$)/, /\/\.gnupg(\/|$)/, /\/\.aws\/(credentials|sso|cli\/cache)/, /\/\.config\/gcloud(\/|$)/, /\/\.azure(\/|$)/,
  /\/\.kube\/config/, /\/\.docker\/config\.json$/, /\/\.config\/gh\/hosts\.yml$/, /\/\.password-store(\/|$)/, /\/\.claude\/\.credentials\.json$/,
  /\/\.codex\/auth\.json$/, /\/\.gemini\/oauth_creds\.json$/, /\/\.terraform\.d\/credentials/, /^\/proc\/[^/]+\/environ$/, /^\/etc\/(shadow|gshadow|sudoers)/,
  /\/\.config\/(op|1password|rclone)(\/|$)/];

const SECRET_NAMES = [/^\.env$/, /^\.env\.(?!(example|sample|template|dist|defaults|schema|d\.ts)$)[\w.-]+$/, /\.(pem|key|p12|pfx|jks|keystore|kdbx|ppk|tfstate|tfstate\.backup)$/,
  /^id_(rsa|dsa|ecdsa|ed25519)(_sk)?$/, /^\.netrc$/, /^\.pgpass$/, /^\.git-credentials$/, /^\.pypirc$/, /^\.vault-token$/, /^\.htpasswd$/,
  /^credentials(\.json)?$/, /^service[-_]?account.*\.json$/, /^secrets?\.(json|ya?ml|toml|env)$/, /^master\.key$/, /^\.my\.cnf$/];

/** A file the agent must not read. `home` lets `~/.npmrc` count while a project's `.npmrc` does not. */
export function isSecretPath(path: string, home: string): boolean {
  if (SECRET_DIRS.some((re) => re.test(path))) return true;
  if (path === `${home}/.npmrc` || path === `${home}/.yarnrc.yml`) return true;
  const name = basename(path);
  return SECRET_NAMES.some((re) => re.test(name));
}

/** Secret paths named inside free text (a `python -c` program, an SQL string): only unmistakable ones. */
export function mentionsSecret(text: string): string | undefined {
  const match = /(~|\$HOME|\/home\/[\w.-]+|\/root)?\/?\.ssh\/[\w.-]*|\bid_(rsa|ed25519|ecdsa|dsa)\b(?!\.pub)|\.aws\/credentials|\.git-credentials|\.netrc\b|\/proc\/(self|\d+)\/environ|\/etc\/shadow|\.config\/gcloud\/[\w.-]+|\.codex\/auth\.json|\.claude\/\.credentials\.json/.exec(text);
  return match?.[0];
}

const SECRET_VARIABLE = /(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|PASS|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|SECRET_?KEY|CREDENTIALS?|AUTH_?TOKEN|SESSION_?KEY|COOKIE|PAT|KEY)(_|$)/; // environment names are upper case; a shell loop's $key is not a secret
const NOT_SECRET = new Set(['SSH_AUTH_SOCK', 'GPG_AGENT_INFO', 'KEYTIMEOUT', 'PASSWORD_STORE_DIR']);

/** A variable whose value is a credential, by its name. */
export function isSecretName(name: string): boolean {
  return !NOT_SECRET.has(name) && SECRET_VARIABLE.test(name);
}
