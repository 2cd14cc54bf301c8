/** Signed assertions, the trust list, policies and pick's safe defaults, end to end with real git and openssl. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, idOf, ok, runtimeVfi, snapshot, tempDir, vfi } from '../helpers/cli.js';
import { pae } from '../../src/core/dsse.js';
import { foldTrust } from '../../src/core/trust.js';
import { decodeCommit } from '../../src/core/gitObject.js';
import { readEvents, TRUST_REF } from '../../src/store/events.js';
import { unionTrees } from '../../src/remote/merge.js';
import { Store } from '../../src/store/store.js';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const ASSERTIONS = 'refs/vfi-assertions/main';


/** Runtime: a VFI with every image pinned, then one with a tag again; ids oldest first. */
function runtimes(store: string): { pinned: string; tagged: string } {
  const vfiJson = runtimeVfi();
  for (const c of Object.values(vfiJson)) if (c.type === 'dockerImage' && !c.address.includes('@')) c.address = `${c.address}@${digest('a')}`;
  const pinned = idOf(ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify(vfiJson) }));
  const tagged = idOf(ok(store, ['set', 'Runtime', 'router=polyverse/router:9']));
  return { pinned, tagged };
}

/** The envelope of the one signed record about `id`. */
function envelopeOf(store: string, id: string): { payload: string; payloadType: string; signatures: { keyid: string; sig: string }[] } {
  const files = git(store, ['ls-tree', '-r', '--name-only', ASSERTIONS]).stdout.trim().split('\n').filter((f) => f.startsWith(`${id.slice(0, 2)}/${id.slice(2)}/`) && f.endsWith('.dsse.json'));
  expect(files).toHaveLength(1);
  return JSON.parse(git(store, ['cat-file', 'blob', `${ASSERTIONS}:${files[0]}`]).stdout);
}

describe('keys and signed records', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  const keys = path.join(dir, 'keys');

  it('vfi key generate writes a 0600 PKCS#8 private key and an SPKI public key, and never overwrites', () => {
    const keyid = ok(store, ['key', 'generate', '--out', keys]).trim();
    expect(keyid).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.statSync(path.join(keys, 'vfi.key')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(keys, 'vfi.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(fs.readFileSync(path.join(keys, 'vfi.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    // openssl agrees on the keyid: sha256 of the SPKI DER
    const der = spawnSync('openssl', ['pkey', '-pubin', '-in', path.join(keys, 'vfi.pub'), '-outform', 'DER']).stdout;
    expect(spawnSync('openssl', ['dgst', '-sha256', '-r'], { input: der, encoding: 'utf8' }).stdout.slice(0, 64)).toBe(keyid);
    const before = fs.readFileSync(path.join(keys, 'vfi.key'));
    const again = vfi(store, ['key', 'generate', '--out', keys]);
    expect(again.code).toBe(2);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.readFileSync(path.join(keys, 'vfi.key')).equals(before)).toBe(true);
  });

  it('key generate --out naming a file is bad input (exit 2, one line), not an internal error', () => {
    const file = path.join(dir, 'not-a-dir');
    fs.writeFileSync(file, 'x');
    for (const out of [file, path.join(file, 'sub')]) {
      const r = vfi(store, ['key', 'generate', '--out', out]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.stdout).toBe('');
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });

  it('assert --sign stores a DSSE envelope whose signature openssl verifies over the PAE bytes (ed25519, and ECDSA P-256 made by openssl)', () => {
    const { pinned, tagged } = runtimes(store);
    const ecKey = path.join(dir, 'ec.key');
    const ecPub = path.join(dir, 'ec.pub');
    expect(spawnSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', ecKey]).status).toBe(0);
    expect(spawnSync('openssl', ['pkey', '-in', ecKey, '-pubout', '-out', ecPub]).status).toBe(0);
    expect(ok(store, ['assert', `Runtime@${pinned}`, 'tests-passed', '--sign', path.join(keys, 'vfi.key')])).toBe(`Runtime@${pinned} tests-passed pass\n`);
    ok(store, ['assert', `Runtime@${tagged}`, 'tests-passed'], { env: { VFI_SIGNING_KEY: ecKey } });
    for (const [id, pub, rawin] of [[pinned, path.join(keys, 'vfi.pub'), true], [tagged, ecPub, false]] as const) {
      const env = envelopeOf(store, id);
      expect(env.payloadType).toBe('application/vnd.in-toto+json');
      const statement = Buffer.from(env.payload, 'base64');
      expect(JSON.parse(statement.toString()).subject[0].digest.gitBlob).toBe(id);
      const paeFile = path.join(dir, `${id}.pae`);
      const sigFile = path.join(dir, `${id}.sig`);
      fs.writeFileSync(paeFile, pae(env.payloadType, statement));
      fs.writeFileSync(sigFile, Buffer.from(env.signatures[0]!.sig, 'base64'));
      const args = rawin
        ? ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', paeFile, '-sigfile', sigFile]
        : ['dgst', '-sha256', '-verify', pub, '-signature', sigFile, paeFile];
      const v = spawnSync('openssl', args, { encoding: 'utf8' });
      expect(v.status, `${v.stdout}${v.stderr}`).toBe(0);
      expect(v.stdout).toMatch(/Verif(ied OK|ication OK|y OK)|Signature Verified Successfully/i);
    }
    // the bundle line of a signed record is its envelope
    const lines = ok(store, ['assertions', `Runtime@${pinned}`, '--format', 'intoto']).trim().split('\n');
    expect(JSON.parse(lines[0]!)).toEqual(envelopeOf(store, pinned));
    expect(ok(store, ['fsck'])).toMatch(/^ok: /m);
  });

  it.each<[string, () => string[], number]>([
    ['a malformed key file', () => { fs.writeFileSync(path.join(dir, 'bad.pem'), 'not a key\n'); return ['--sign', path.join(dir, 'bad.pem')]; }, 2],
    ['an encrypted key', () => {
      spawnSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-aes256', '-pass', 'pass:secret', '-out', path.join(dir, 'enc.pem')]);
      return ['--sign', path.join(dir, 'enc.pem')];
    }, 2],
    ['a public key where the private key is needed', () => ['--sign', path.join(keys, 'vfi.pub')], 2],
    ['a key file that does not exist', () => ['--sign', path.join(dir, 'nope.pem')], 3],
  ])('assert --sign with %s: one line, exit code, store untouched', (_what, args, code) => {
    const extra = args();
    const before = snapshot(store);
    const r = vfi(store, ['assert', 'Runtime', 'reviewed', ...extra]);
    expect(r.code).toBe(code);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^vfi: /);
    expect(snapshot(store)).toEqual(before);
  });
});

describe('the trust list', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  const ci = path.join(dir, 'ci');
  const qa = path.join(dir, 'qa');
  let ids: { pinned: string; tagged: string };

  it('trust add / list / rm are commits on refs/vfi-trust/main, readable with git', () => {
    ids = runtimes(store);
    ok(store, ['key', 'generate', '--out', ci]);
    ok(store, ['key', 'generate', '--out', qa]);
    const ciKeyid = ok(store, ['trust', 'add', 'ci', path.join(ci, 'vfi.pub'), '--claims', 'tests-passed,smoke-verified']).split(' ')[1]!;
    ok(store, ['trust', 'add', 'qa', path.join(qa, 'vfi.pub')]);
    const list = JSON.parse(ok(store, ['trust', 'list', '--json']));
    expect(list.map((s: { signer: string; keyid: string; claims: string[] | null }) => [s.signer, s.keyid, s.claims])).toEqual([
      ['ci', ciKeyid, ['smoke-verified', 'tests-passed']], ['qa', expect.stringMatching(/^[0-9a-f]{64}$/), null]]);
    expect(git(store, ['log', '--format=%s', 'refs/vfi-trust/main']).stdout.trim().split('\n')).toHaveLength(2);
    const files = git(store, ['ls-tree', '--name-only', 'refs/vfi-trust/main']).stdout.trim().split('\n');
    expect(files).toHaveLength(2);
    for (const f of files) expect(f).toMatch(/^\d{8}T\d{6}\.\d{6}Z-add-[0-9a-f]{40}\.json$/);
    const rm = vfi(store, ['trust', 'rm', 'nobody']);
    expect(rm.code).toBe(3);
    expect(rm.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('only records signed by a key trusted for their claim count; the others are shown, marked, with why', () => {
    const { pinned } = ids;
    ok(store, ['assert', `Runtime@${pinned}`, 'tests-passed', '--sign', path.join(ci, 'vfi.key')]);
    ok(store, ['assert', `Runtime@${pinned}`, 'reviewed', '--sign', path.join(ci, 'vfi.key')]); // ci is not trusted for reviewed
    ok(store, ['assert', `Runtime@${pinned}`, 'smoke-verified', '--fail']); // unsigned: does not disqualify
    ok(store, ['assert', `Runtime@${pinned}`, 'reviewed', '--sign', path.join(ci, 'vfi.key'), '--evidence', `https://ci.example.com/${'x'.repeat(80)}`]);
    // the table never cuts why a record does not count, however long its note or evidence
    const table = ok(store, ['assertions', `Runtime@${pinned}`]);
    expect(table).toMatch(/reviewed\s+pass\s+.*UNTRUSTED: signed by ci, not trusted for reviewed\s+https:\/\/ci\.ex/);
    expect(table).toMatch(/smoke-verified\s+fail\s+.*UNTRUSTED: unsigned/);
    const j = JSON.parse(ok(store, ['assertions', `Runtime@${pinned}`, '--json']));
    expect(j.score).toBe(1);
    expect(j.candidate).toBe(true);
    expect(j.records.map((r: { claim: string; counts: boolean; untrusted?: string }) => [r.claim, r.counts, r.untrusted])).toEqual([
      ['tests-passed', true, undefined], ['reviewed', false, 'signed by ci, not trusted for reviewed'], ['smoke-verified', false, 'unsigned'],
      ['reviewed', false, 'signed by ci, not trusted for reviewed']]);
    expect(ok(store, ['pick', 'Runtime'])).toBe(`Runtime@${pinned}\n`);
    const explain = vfi(store, ['pick', 'Runtime', '--explain']);
    expect(explain.stderr).toMatch(/picked; not counted: reviewed pass \(signed by ci, not trusted for reviewed\), smoke-verified fail \(unsigned\)/);
    expect(JSON.parse(ok(store, ['pick', 'Runtime', '--json'])).claims).toEqual({ 'tests-passed': expect.objectContaining({ result: 'pass' }) });
    // after trust rm, ci's records no longer count: nothing trusted is left about any VFI
    ok(store, ['trust', 'rm', 'ci']);
    const none = vfi(store, ['pick', 'Runtime', '--json']);
    expect(none.code).toBe(3);
    expect(JSON.parse(none.stdout)).toMatchObject({ ok: false, code: 'NO_CANDIDATE' });
    // with no trusted signer at all, every record counts again
    ok(store, ['trust', 'rm', 'qa']);
    const open = JSON.parse(ok(store, ['assertions', `Runtime@${pinned}`, '--json']));
    expect(open).toMatchObject({ score: 2, candidate: false });
  });

  it('a tampered envelope (payload changed after signing) never counts, and fsck reports it', () => {
    const s2 = path.join(dir, 'tamper');
    const { pinned } = runtimes(s2);
    ok(s2, ['trust', 'add', 'qa', path.join(qa, 'vfi.pub')]);
    ok(s2, ['assert', `Runtime@${pinned}`, 'tests-passed', '--sign', path.join(qa, 'vfi.key')]);
    expect(ok(s2, ['pick', 'Runtime'])).toBe(`Runtime@${pinned}\n`);
    // Rewrite the record with another "by" in its payload, keeping the signature, with plain git.
    const work = path.join(dir, 'work');
    expect(spawnSync('git', ['clone', '-q', s2, work]).status).toBe(0);
    expect(git(path.join(work, '.git'), ['fetch', '-q', 'origin', ASSERTIONS]).code).toBe(0);
    spawnSync('git', ['-C', work, 'checkout', '-q', 'FETCH_HEAD']);
    const rel = `${pinned.slice(0, 2)}/${pinned.slice(2)}`;
    const file = fs.readdirSync(path.join(work, rel)).find((f) => f.endsWith('.dsse.json'))!;
    const env = JSON.parse(fs.readFileSync(path.join(work, rel, file), 'utf8'));
    env.payload = Buffer.from(Buffer.from(env.payload, 'base64').toString().replace('"by": "Test Author"', '"by": "Mallory"')).toString('base64');
    const bytes = `${JSON.stringify(env, null, 2)}\n`;
    const newId = spawnSync('git', ['hash-object', '--stdin'], { input: bytes, encoding: 'utf8' }).stdout.trim();
    fs.rmSync(path.join(work, rel, file));
    fs.writeFileSync(path.join(work, rel, file.replace(/[0-9a-f]{40}\.dsse\.json$/, `${newId}.dsse.json`)), bytes);
    const c = spawnSync('bash', ['-c', `cd ${work} && git add -A && git -c user.name=m -c user.email=m@x commit -qm tamper && git push -q origin HEAD:${ASSERTIONS}`], { encoding: 'utf8' });
    expect(c.status, c.stderr).toBe(0);
    const pick = vfi(s2, ['pick', 'Runtime', '--explain']);
    expect(pick.code).toBe(3);
    expect(pick.stderr).toMatch(/bad signature .*changed after signing/);
    const fsck = vfi(s2, ['fsck']);
    expect(fsck.code).toBe(1);
    expect(fsck.stdout).toMatch(/tampered: the envelope's signature does not verify/);
  });

  it('two stores\' trust trees unioned (store/merge.ts) fold to both stores\' signers', async () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    ok(a, ['add', 'X', '-'], { input: '{}' });
    ok(b, ['add', 'X', '-'], { input: '{}' });
    ok(a, ['trust', 'add', 'ci', path.join(ci, 'vfi.pub')], { env: { VFI_NOW: '2026-11-01T12:00:00Z' } });
    ok(a, ['trust', 'add', 'qa', path.join(qa, 'vfi.pub')], { env: { VFI_NOW: '2026-11-01T12:00:01Z' } });
    ok(b, ['trust', 'add', 'qa', path.join(qa, 'vfi.pub')], { env: { VFI_NOW: '2026-11-01T12:00:01Z' } }); // the same event: the same file
    ok(b, ['trust', 'rm', 'qa'], { env: { VFI_NOW: '2026-11-01T12:00:02Z' } });
    ok(b, ['trust', 'add', 'rel', path.join(ci, 'vfi.pub'), '--claims', 'released'], { env: { VFI_NOW: '2026-11-01T12:00:03Z' } });
    // b's objects into a, as a fetch would bring them
    expect(spawnSync('git', ['--git-dir', a, 'fetch', '-q', b, `refs/vfi-trust/main:refs/theirs/trust`]).status).toBe(0);
    const sa = Store.open(a, { create: false });
    const treeOf = async (ref: string) => decodeCommit((await sa.objects.read(sa.refs.read(ref)!)).body).tree;
    const union = await unionTrees(sa, await treeOf(TRUST_REF), await treeOf('refs/theirs/trust'));
    expect(git(a, ['ls-tree', '--name-only', union]).stdout.trim().split('\n')).toHaveLength(4);
    const commit = git(a, ['commit-tree', union, '-m', 'union'], '').stdout.trim();
    expect(git(a, ['update-ref', 'refs/vfi-trust/main', commit]).code).toBe(0);
    const state = foldTrust((await readEvents(Store.open(a, { create: false }), TRUST_REF)).events);
    expect(Object.fromEntries([...state.signers].map(([s, t]) => [s, t.claims ?? '*']))).toEqual({ ci: '*', rel: ['released'] });
    expect(JSON.parse(ok(a, ['trust', 'list', '--json'])).map((s: { signer: string }) => s.signer)).toEqual(['ci', 'rel']);
  });

  it('the trust list and the policies travel with vfi push / vfi pull, and merge as a union', () => {
    const remote = path.join(dir, 'shared.git');
    expect(spawnSync('git', ['init', '-q', '--bare', remote]).status).toBe(0);
    const a = path.join(dir, 'pa');
    const b = path.join(dir, 'pb');
    ok(a, ['add', 'Runtime', '-'], { input: '{}' });
    ok(a, ['trust', 'add', 'ci', path.join(ci, 'vfi.pub'), '--claims', 'tests-passed']);
    ok(a, ['policy', 'set', 'Runtime', '--require', 'tests-passed']);
    ok(a, ['remote', 'add', 'origin', remote]);
    ok(a, ['push']);
    for (const ref of [TRUST_REF, 'refs/vfi-policy/main']) expect(git(remote, ['rev-parse', ref]).stdout.trim()).toBe(git(a, ['rev-parse', ref]).stdout.trim());
    ok(b, ['trust', 'add', 'qa', path.join(qa, 'vfi.pub')]); // b's own change: the two trust lists diverge
    ok(b, ['remote', 'add', 'origin', remote]);
    ok(b, ['pull']);
    expect(JSON.parse(ok(b, ['trust', 'list', '--json'])).map((s: { signer: string }) => s.signer)).toEqual(['ci', 'qa']);
    expect(JSON.parse(ok(b, ['policy', 'show', 'Runtime', '--json'])).policy).toMatchObject({ require: ['tests-passed'] });
    ok(b, ['push']);
    ok(a, ['pull']);
    expect(JSON.parse(ok(a, ['trust', 'list', '--json'])).map((s: { signer: string }) => s.signer)).toEqual(['ci', 'qa']);
    expect(vfi(a, ['fsck']).code).toBe(0);
  });
});

describe('policies and pick defaults', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  let ids: { pinned: string; tagged: string };

  it('without a policy: score 0 and unpinned images are not candidates; --explain names the rule; --json says ok false and exits 3', () => {
    ids = runtimes(store);
    const r = vfi(store, ['pick', 'Runtime', '--json', '--explain']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, code: 'NO_CANDIDATE' });
    expect(r.stderr).toMatch(new RegExp(`${ids.tagged}\\s+score 0\\s+not pinned`));
    expect(r.stderr).toMatch(new RegExp(`${ids.pinned}\\s+score 0\\s+below the minimum score 1`));
    expect(r.stderr).not.toMatch(/trusted/); // the store trusts nobody: no message may speak of trusted records
    expect(ok(store, ['pick', 'Runtime', '--min-score', '0'])).toBe(`Runtime@${ids.pinned}\n`);
    expect(ok(store, ['pick', 'Runtime', '--min-score', '0', '--allow-unpinned'])).toBe(`Runtime@${ids.tagged}\n`);
    ok(store, ['assert', `Runtime@${ids.tagged}`, 'tests-passed']);
    expect(vfi(store, ['pick', 'Runtime']).code).toBe(3);
    expect(ok(store, ['pick', 'Runtime', '--allow-unpinned'])).toBe(`Runtime@${ids.tagged}\n`);
  });

  it('policy set / show are commits on refs/vfi-policy/main; pick and find apply them, flags add to them', () => {
    ok(store, ['assert', `Runtime@${ids.pinned}`, 'tests-passed']);
    expect(ok(store, ['pick', 'Runtime'])).toBe(`Runtime@${ids.pinned}\n`);
    ok(store, ['policy', 'set', 'Runtime', '--require', 'reviewed']);
    expect(JSON.parse(ok(store, ['policy', 'show', 'Runtime', '--json']))).toMatchObject({
      lineage: 'Runtime', policy: { require: ['reviewed'], minScore: null, allowUnpinned: false }, rules: { require: ['reviewed'], minScore: 1, allowUnpinned: false } });
    expect(git(store, ['log', '--format=%s', 'refs/vfi-policy/main']).stdout).toBe('policy set Runtime\n');
    expect(vfi(store, ['pick', 'Runtime']).code).toBe(3);
    // a VFI does pass tests-passed: find says the policy kept it out, naming it and the rule, not that none passes
    const kept = vfi(store, ['find', '--has', 'tests-passed', '--json', '--', 'Runtime']);
    expect(kept.code).toBe(3);
    expect(JSON.parse(kept.stdout).reason).toMatch(new RegExp(`Runtime@${ids.tagged.slice(0, 12)}, has an image not pinned by digest`));
    const keptPinned = vfi(store, ['find', '--has', 'tests-passed', '--allow-unpinned', '--json', '--', 'Runtime']);
    expect(keptPinned.code).toBe(3);
    expect(JSON.parse(keptPinned.stdout).reason).toMatch(new RegExp(`Runtime@${ids.tagged.slice(0, 12)}, does not pass reviewed$`));
    ok(store, ['assert', `Runtime@${ids.pinned}`, 'reviewed']);
    expect(ok(store, ['pick', 'Runtime'])).toBe(`Runtime@${ids.pinned}\n`);
    expect(ok(store, ['find', '--has', 'tests-passed', '--', 'Runtime'])).toBe(`Runtime@${ids.pinned}\n`);
    // flags add to the policy: another required claim, a higher minimum; --min-score 0 does not go under it
    expect(vfi(store, ['pick', 'Runtime', '--require', 'smoke-verified']).code).toBe(3);
    expect(vfi(store, ['pick', 'Runtime', '--min-score', '3']).code).toBe(3);
    ok(store, ['policy', 'set', 'Runtime', '--min-score', '2', '--allow-unpinned']);
    ok(store, ['assert', `Runtime@${ids.tagged}`, 'reviewed']);
    expect(ok(store, ['pick', 'Runtime', '--min-score', '0'])).toBe(`Runtime@${ids.tagged}\n`);
    expect(vfi(store, ['pick', 'Runtime', '--min-score', '0', '--explain']).stderr).toMatch(/minimum score 2; unpinned images allowed; policy of Runtime/);
  });

  it.each<[string, string[], number]>([
    ['a policy naming an invalid claim', ['policy', 'set', 'Runtime', '--require', 'Not A Claim'], 2],
    ['a minimum score that is not a number', ['policy', 'set', 'Runtime', '--min-score', 'two'], 2],
    ['trust add of a private key', ['trust', 'add', 'x', '__KEY__'], 2],
    ['trust add of a file that is not a key', ['trust', 'add', 'x', '__JUNK__'], 2],
    ['trust add with an invalid signer name', ['trust', 'add', '../x', '__PUB__'], 2],
    ['trust rm of an unknown signer', ['trust', 'rm', 'ghost'], 3],
  ])('%s: one line, exit code, store untouched', (_what, args, code) => {
    const keys = path.join(dir, 'k');
    if (!fs.existsSync(keys)) ok(store, ['key', 'generate', '--out', keys]);
    fs.writeFileSync(path.join(dir, 'junk.pem'), '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n');
    const real = args.map((a) => a.replace('__KEY__', path.join(keys, 'vfi.key')).replace('__PUB__', path.join(keys, 'vfi.pub')).replace('__JUNK__', path.join(dir, 'junk.pem')));
    const before = snapshot(store);
    const r = vfi(store, real);
    expect(r.code).toBe(code);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(snapshot(store)).toEqual(before);
  });
});
