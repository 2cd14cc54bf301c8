/**
 * A real sshd (Debian's openssh-server) on 127.0.0.1 for tests: a throwaway host key and user key
 * made here, the user key the only one authorized, no password logins, no PAM, StrictModes off (the
 * files live in a temp dir), logins only as the user running the test. `sshCommand` is what
 * GIT_SSH_COMMAND must be to reach it: that key only, the host key pinned in a temp known_hosts.
 * Started and stopped by PID; ready when sshd says it listens.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface SshServer {
  port: number;
  user: string;
  dir: string;
  /** GIT_SSH_COMMAND for it */
  sshCommand: string;
  stop(): Promise<void>;
}

const freePort = () => new Promise<number>((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as net.AddressInfo).port;
    s.close(() => resolve(p));
  });
});

function keygen(file: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'vfi-test', '-f', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
}

export async function startSshServer(): Promise<SshServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfi-sshd-'));
  const hostKey = path.join(dir, 'host_key');
  const userKey = path.join(dir, 'user_key');
  keygen(hostKey);
  keygen(userKey);
  const authorized = path.join(dir, 'authorized_keys');
  fs.copyFileSync(`${userKey}.pub`, authorized);
  const user = os.userInfo().username;
  const port = await freePort();
  const knownHosts = path.join(dir, 'known_hosts');
  fs.writeFileSync(knownHosts, `[127.0.0.1]:${port} ${fs.readFileSync(`${hostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
  // sshd run as root wants its privilege separation directory
  if (process.getuid?.() === 0) fs.mkdirSync('/run/sshd', { recursive: true });
  const options = [
    `ListenAddress=127.0.0.1`, `Port=${port}`, `HostKey=${hostKey}`, `AuthorizedKeysFile=${authorized}`, 'StrictModes=no',
    'PasswordAuthentication=no', 'KbdInteractiveAuthentication=no', 'PubkeyAuthentication=yes', 'UsePAM=no', `AllowUsers=${user}`,
    `PermitRootLogin=${user === 'root' ? 'prohibit-password' : 'no'}`, `PidFile=${path.join(dir, 'sshd.pid')}`, 'LogLevel=INFO',
  ];
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', '/dev/null', ...options.flatMap((o) => ['-o', o])], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString('utf8');
      if (/Server listening on 127\.0\.0\.1 port/.test(log)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`sshd exited (${code}): ${log}`)));
  });
  const sshCommand = `ssh -F /dev/null -p ${port} -i ${userKey} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${knownHosts}`;
  return {
    port,
    user,
    dir,
    sshCommand,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
