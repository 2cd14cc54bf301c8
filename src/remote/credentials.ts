/**
 * Credentials for a remote, asked for only when the server answers 401: the environment first
 * (VFI_REMOTE_TOKEN, or VFI_REMOTE_USERNAME + VFI_REMOTE_PASSWORD), else git's own credential
 * helpers through `git credential fill`, confirmed with `approve` or dropped with `reject` as git
 * does (gitcredentials(7), git-credential(1) "INPUT/OUTPUT FORMAT"). Nothing is written to the
 * store, and nothing here is ever put into a message.
 */
import { spawn } from 'node:child_process';
import type { RemoteUrl } from './url.js';

export interface Credential {
  username: string;
  password: string;
  source: 'env' | 'helper';
}

/** Credentials from the environment, or undefined. */
export function credentialFromEnv(env: NodeJS.ProcessEnv): Credential | undefined {
  const token = env.VFI_REMOTE_TOKEN;
  if (token) {
    // With a user name the token is its password (GitLab, Gitea, Bitbucket); alone it is the user
    // name with an empty password, which GitHub and Gitea accept for personal access tokens.
    return env.VFI_REMOTE_USERNAME
      ? { username: env.VFI_REMOTE_USERNAME, password: token, source: 'env' }
      : { username: token, password: '', source: 'env' };
  }
  if (env.VFI_REMOTE_USERNAME && env.VFI_REMOTE_PASSWORD !== undefined) {
    return { username: env.VFI_REMOTE_USERNAME, password: env.VFI_REMOTE_PASSWORD, source: 'env' };
  }
  return undefined;
}

/** The `key=value` lines git credential reads. */
export function credentialRequest(url: RemoteUrl, cred?: { username: string; password: string }): string {
  const lines = [`protocol=${url.protocol}`, `host=${url.host}`];
  if (url.path) lines.push(`path=${url.path}`);
  if (cred) lines.push(`username=${cred.username}`, `password=${cred.password}`);
  return `${lines.join('\n')}\n\n`;
}

export function parseCredentialReply(text: string): { username: string; password: string } | undefined {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1).replace(/\r$/, ''));
  }
  const username = fields.get('username');
  const password = fields.get('password');
  return username !== undefined && password !== undefined ? { username, password } : undefined;
}

function runGitCredential(action: 'fill' | 'approve' | 'reject', input: string, env: NodeJS.ProcessEnv, interactive: boolean): Promise<string | undefined> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn('git', ['credential', action], {
        // Without a terminal to ask on, git must fail instead of waiting for an answer.
        env: interactive ? env : { ...env, GIT_TERMINAL_PROMPT: '0' },
        stdio: ['pipe', 'pipe', interactive ? 'inherit' : 'ignore'],
      });
    } catch {
      resolve(undefined);
      return;
    }
    let out = '';
    const timer = interactive ? undefined : setTimeout(() => child.kill(), 20_000);
    child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.on('error', () => resolve(undefined)); // git is not installed
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve(code === 0 ? out : undefined);
    });
    child.stdin!.on('error', () => {});
    child.stdin!.end(input);
  });
}

const basic = (c: { username: string; password: string }) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

/**
 * The credentials of one push or pull, shared by its requests so that a helper is asked once:
 * sent up front once they worked (or when the URL carries them), else only after a 401.
 */
export class RemoteAuth {
  private credential: Credential | undefined;
  private readonly inUrl: { username: string; password: string } | undefined;
  private asked = false;
  private accepted = false;
  /** the server refused the credentials it was given */
  refused = false;
  /** the server asked for credentials and there were none */
  missing = false;
  /** credentials were sent at least once */
  offered = false;

  constructor(
    private readonly url: RemoteUrl,
    private readonly env: NodeJS.ProcessEnv,
    private readonly interactive: boolean,
  ) {
    if (url.hasCredentials) {
      const u = new URL(url.url);
      this.inUrl = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
    }
  }

  /** The Authorization header for the next request, if credentials are to be sent up front. */
  header(): string | undefined {
    if (this.inUrl && !this.refused) {
      this.offered = true;
      return basic(this.inUrl);
    }
    if (!this.accepted || !this.credential) return undefined;
    return basic(this.credential);
  }

  /**
   * After a 401: the header to try again with, from the environment or a credential helper (asked
   * once), or undefined when there is nothing (more) to try.
   */
  async afterUnauthorized(): Promise<string | undefined> {
    if (this.inUrl || this.refused) {
      this.refused = true;
      return undefined;
    }
    if (!this.asked) {
      this.asked = true;
      this.credential = credentialFromEnv(this.env) ?? (await this.fromHelper());
    }
    if (!this.credential) {
      this.missing = true;
      return undefined;
    }
    this.offered = true;
    return basic(this.credential);
  }

  /** The server took the credentials: a helper's are approved (stored by it), once. */
  async succeeded(): Promise<void> {
    if (this.accepted || !this.credential) return;
    this.accepted = true;
    if (this.credential.source === 'helper') await runGitCredential('approve', credentialRequest(this.url, this.credential), this.env, false);
  }

  /** The server refused them: a helper's are rejected (erased by it). */
  async failed(): Promise<void> {
    this.refused = true;
    if (this.credential?.source === 'helper') await runGitCredential('reject', credentialRequest(this.url, this.credential), this.env, false);
    this.credential = undefined;
  }

  private async fromHelper(): Promise<Credential | undefined> {
    const reply = await runGitCredential('fill', credentialRequest(this.url), this.env, this.interactive);
    const cred = reply === undefined ? undefined : parseCredentialReply(reply);
    return cred ? { ...cred, source: 'helper' } : undefined;
  }
}
