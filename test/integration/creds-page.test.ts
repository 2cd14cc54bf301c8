/**
 * The live page of `vfi creds serve`, driven in headless Chromium (Debian's, through
 * playwright-core) as a person uses it. The server's request log is checked afterwards: only
 * GETs of the page's files, no request bodies, no credentials.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startCli, tempDir, vfi, type RunningCli } from '../helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const dir = tempDir('vfi-creds-page-');
let server: RunningCli | undefined;
let url: string;
let browser: BrowserContext;
let page: Page;
const profile = tempDir('vfi-chromium-');

const PASSWORDS = ['first-Pa55', 'second-Pa55', 'third-Pa55', 'fourth-Pa55'];

beforeAll(async () => {
  server = await startCli(['creds', 'serve'], /^(http:\/\/127\.0\.0\.1:\d+\/)\n/);
  url = server.ready[1]!;
  // A fresh profile of its own (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1440, height: 760 },
    acceptDownloads: true,
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const row = (i: number) => page.locator('#rows tr').nth(i);

describe('vfi creds serve', () => {
  it('binds 127.0.0.1 on a free port', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('typing credentials fills the Secret pane with what kubectl would make', async () => {
    await row(0).locator('input[name=registry]').pressSequentially('registry.example.com:5000');
    await row(0).locator('input[name=username]').pressSequentially('alice');
    await row(0).locator('input[name=password]').pressSequentially(PASSWORDS[0]!);
    const kubectl = spawnSync('kubectl', ['create', 'secret', 'docker-registry', 'regcred', '--docker-server=registry.example.com:5000', '--docker-username=alice', `--docker-password=${PASSWORDS[0]}`, '--dry-run=client', '-o', 'yaml'], { encoding: 'utf8' });
    await expect.poll(() => page.inputValue('#secret')).toBe(kubectl.stdout);
    const config = JSON.parse(await page.inputValue('#config'));
    expect(config.auths['registry.example.com:5000'].password).toBe(PASSWORDS[0]);
  });

  it('pasting a Secret fills the rows and config.json; removing a row updates both', async () => {
    const cfg = {
      auths: Object.fromEntries(
        ['docker.io', 'ghcr.io', 'quay.io', 'registry.example.com:5000'].map((r, i) => [r, { auth: Buffer.from(`user${i}:${PASSWORDS[i]}`).toString('base64') }]),
      ),
    };
    const secret = vfi(join(dir, 'store'), ['creds', 'to-secret', '-', '--name', 'team-pull', '--namespace', 'ci'], { input: JSON.stringify(cfg) });
    expect(secret.code).toBe(0);
    await page.fill('#secret', secret.stdout);
    await expect.poll(() => page.locator('#rows tr').count()).toBe(4);
    expect(await page.inputValue('#secret-name')).toBe('team-pull');
    expect(await page.inputValue('#secret-namespace')).toBe('ci');
    expect(Object.keys(JSON.parse(await page.inputValue('#config')).auths)).toEqual(['https://index.docker.io/v1/', 'ghcr.io', 'quay.io', 'registry.example.com:5000']);
    expect(await row(1).locator('input[name=password]').inputValue()).toBe(PASSWORDS[1]);

    await row(2).getByRole('button', { name: 'remove this registry' }).click();
    const auths = JSON.parse(await page.inputValue('#config')).auths;
    expect(Object.keys(auths)).toEqual(['https://index.docker.io/v1/', 'ghcr.io', 'registry.example.com:5000']);
    expect(auths['ghcr.io']).toEqual({ username: 'user1', password: PASSWORDS[1], auth: Buffer.from(`user1:${PASSWORDS[1]}`).toString('base64') });
    expect(await page.inputValue('#secret')).toContain('name: team-pull');
    const fromPane = vfi(join(dir, 'store'), ['creds', 'from-secret', '-', '--list'], { input: await page.inputValue('#secret') });
    expect(fromPane.stdout).toBe('https://index.docker.io/v1/\tuser0\tpassword\nghcr.io\tuser1\tpassword\nregistry.example.com:5000\tuser3\tpassword\n');
  });

  it('a bad edit shows an error beside its pane and keeps what was typed', async () => {
    const secretBefore = await page.inputValue('#secret');
    const good = await page.inputValue('#config');
    const broken = good.replace(/"auth": "[^"]+"/, '"auth": "not base64!"');
    await page.fill('#config', broken);
    await expect.poll(() => page.textContent('#config-error')).toMatch(/not base64/);
    expect(await page.inputValue('#config')).toBe(broken);
    expect(await page.inputValue('#secret')).toBe(secretBefore);

    await page.fill('#config', good.slice(0, 20));
    await expect.poll(() => page.textContent('#config-error')).toMatch(/not valid JSON/);
    await page.fill('#config', good);
    await expect.poll(() => page.textContent('#config-error')).toBe('');

    await page.fill('#secret', 'kind: Secret\ntype: Opaque\n');
    await expect.poll(() => page.textContent('#secret-error')).toMatch(/Opaque/);
    expect(await page.inputValue('#secret')).toBe('kind: Secret\ntype: Opaque\n');
    await page.fill('#secret', secretBefore);
    await expect.poll(() => page.textContent('#secret-error')).toBe('');

    await page.fill('#secret-name', 'Team_Pull');
    await expect.poll(() => page.textContent('#secret-error')).toMatch(/Team_Pull/);
    expect(await page.inputValue('#secret')).toBe(secretBefore);
    await page.fill('#secret-name', 'team-pull');
    await expect.poll(() => page.textContent('#secret-error')).toBe('');
    expect(await page.inputValue('#secret')).toBe(secretBefore);
  });

  it('each pane downloads what it shows', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#config-download')]);
    expect(download.suggestedFilename()).toBe('config.json');
    expect(readFileSync((await download.path())!, 'utf8')).toBe(await page.inputValue('#config'));
    const [yaml] = await Promise.all([page.waitForEvent('download'), page.click('#secret-download')]);
    expect(yaml.suggestedFilename()).toBe('team-pull.yaml');
    expect(readFileSync((await yaml.path())!, 'utf8')).toBe(await page.inputValue('#secret'));
  });

  it('looks right (screenshot)', async () => {
    const file = process.env.VFI_CREDS_SCREENSHOT ?? join(dir, 'creds-page.png');
    await page.mouse.move(0, 0);
    await page.screenshot({ path: file, fullPage: true });
    expect(readFileSync(file).subarray(1, 4).toString()).toBe('PNG');
  });

  it('the server saw only GETs of its files, with no bodies and no credentials', async () => {
    await page.reload();
    await expect.poll(() => server!.stderr().split('\n').filter((l) => l.includes('GET / ')).length).toBe(2);
    const lines = server!.stderr().trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const line of lines) expect(line).toMatch(/^vfi creds serve: GET \/(page\.css|page\.js)? (200|404) body=0$/);
    for (const p of PASSWORDS) expect(server!.stderr()).not.toContain(p);
    expect(existsSync(join(dir, 'store'))).toBe(false);
  });

  it('refuses a request with a body', async () => {
    const r = await fetch(url, { method: 'POST', body: 'username=alice&password=x' });
    expect(r.status).toBe(405);
    await expect.poll(() => server!.stderr()).toMatch(/POST \/ 405 body=25\n$/);
  });
});
