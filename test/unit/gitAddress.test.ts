import { describe, expect, it } from 'vitest';
import { gitAddressProblem, tryParseGitAddress } from '../../src/core/gitAddress.js';
import { validateVfi } from '../../src/schema/validate.js';

const C = '72e5e550d1835013832f64597cb1368b7155bd53';

describe('git addresses: <repository URL>@<40-hex commit> (SPEC §1)', () => {
  it.each([
    [`https://github.com/polyverse/api@${C}`, 'https://github.com/polyverse/api'],
    [`https://github.com/polyverse/api.git@${C}`, 'https://github.com/polyverse/api.git'],
    [`http://127.0.0.1:8080/r.git@${C}`, 'http://127.0.0.1:8080/r.git'],
    [`https://[::1]:8443/group/sub/r@${C}`, 'https://[::1]:8443/group/sub/r'],
    [`https://git.example.com/~user/r%20x.git@${C}`, 'https://git.example.com/~user/r%20x.git'],
    [`ssh://git@github.com/polyverse/api.git@${C}`, 'ssh://git@github.com/polyverse/api.git'],
    [`ssh://host:2222/srv/r.git@${C}`, 'ssh://host:2222/srv/r.git'],
    [`git://git.kernel.org/pub/scm/git/git.git@${C}`, 'git://git.kernel.org/pub/scm/git/git.git'],
    [`file:///srv/git/r.git@${C}`, 'file:///srv/git/r.git'],
    [`file://localhost/srv/git/r.git@${C}`, 'file://localhost/srv/git/r.git'],
    [`git@github.com:polyverse/api.git@${C}`, 'git@github.com:polyverse/api.git'],
    [`github.com:polyverse/api@${C}`, 'github.com:polyverse/api'],
    [`build-host:/srv/r.git@${C}`, 'build-host:/srv/r.git'],
  ])('accepts %s', (address, url) => {
    expect(tryParseGitAddress(address)).toEqual({ ok: true, address: { url, commit: C } });
  });

  const bad: [string, string, RegExp][] = [
    ['no commit', 'https://h/r', /expected <repository URL>@<40-hex commit>/],
    ['a short commit', `https://h/r@${C.slice(0, 7)}`, /not a full 40-hex commit id/],
    ['an uppercase commit', `https://h/r@${C.toUpperCase()}`, /must be lowercase/],
    ['two commits', `https://h/r@${C}@${C}`, /more than one "@<commit>"/],
    ['no URL at all', `@${C}`, /the repository URL is empty/],
    ['a bare word for a URL', `h@${C}`, /must be https:\/\/, http:\/\/, ssh:\/\/, git:\/\/, file:\/\/ or user@host:path/],
    ['a local path', `/srv/r.git@${C}`, /a local path is file:\/\/\/path/],
    ['a javascript: URL', `javascript:alert(1)@${C}`, /"javascript:" is a URL scheme, not a repository host/],
    ['a data: URL', `data:text/html,x@${C}`, /"data:" is a URL scheme/],
    ['https without //', `https:github.com/o/r@${C}`, /"https:" is a URL scheme/],
    ['a parenthesis in a path', `h:alert(1)@${C}`, /contains "\("/],
    ['an unknown scheme', `ftp://h/r@${C}`, /unsupported scheme "ftp:\/\/"/],
    ['a password in an https URL', `https://u:pw@h/r@${C}`, /carries credentials/],
    ['a token as the https user', `https://ghp_abc123@github.com/o/r@${C}`, /carries credentials/],
    ['a user in a git:// URL', `git://u@h/r@${C}`, /carries credentials/],
    ['a password in an ssh URL', `ssh://git:pw@h/r@${C}`, /carries a password/],
    ['a password in scp form', `git:pw@h:r@${C}`, /carries a password/],
    ['https without a host', `https:///r@${C}`, /needs a host/],
    ['https without a path', `https://h@${C}`, /expected a repository path/],
    ['https with only a slash', `https://h/@${C}`, /expected a repository path/],
    ['a bad port', `https://h:99999/r@${C}`, /"99999" is not a port number/],
    ['a bad host', `https://h_/r@${C}`, /"h_" is not a host name/],
    ['a file URL with a host', `file://h/r@${C}`, /file:\/\/\/path/],
    ['scp form without a path', `git@h:@${C}`, /expected a repository path after "host:"/],
    ['white space', `https://h/r x@${C}`, /white space or a control character \(U\+0020\)/],
    ['a tab', `https://h/r\t@${C}`, /U\+0009/],
    ['a control character', `https://h/r\u0001@${C}`, /U\+0001/],
    ['a C1 control character', `https://h/r\u0085@${C}`, /U\+0085/],
    ['a backslash', `https://h/a\\b@${C}`, /contains "\\\\"/],
    ['a query', `https://h/r?x=1@${C}`, /contains "\?"/],
    ['an "@" in the path', `https://h/r@x/y@${C}`, /contains "@"/],
    ['a lone %', `https://h/r%zz@${C}`, /not a %-escape/],
  ];
  it.each(bad)('refuses %s: %s', (_why, address, reason) => {
    expect(gitAddressProblem(address)).toMatch(reason);
  });

  it('never repeats a password in the message', () => {
    for (const address of [`https://u:s3cret@h/r@${C}`, `ssh://git:s3cret@h/r@${C}`, `git:s3cret@h:r@${C}`, `https://s3cret@h/r@${C}`]) {
      expect(gitAddressProblem(address)).not.toMatch(/s3cret/);
    }
  });

  it('a VFI with such an address is refused naming the component and field', () => {
    const vfi = { api: { type: 'git', address: `https://u:pw@h/r@${C}` } };
    expect(() => validateVfi(vfi)).toThrowError(expect.objectContaining({ code: 'INVALID_GIT_ADDRESS', data: { component: 'api', field: 'address' } }));
    expect(() => validateVfi(vfi)).toThrow(/^component "api": "address" is not a valid git address: the URL carries credentials/);
  });
});
