// Packaged builds: no DevTools in any window, and no start with a debugging socket open
// (--remote-debugging-port is a Chromium switch the fuses do not cover). Development keeps both.
import { describe, expect, it } from 'vitest';
import { debugSwitchProblem, secureWebPreferences } from '../../../main/security.js';

describe('packaged builds', () => {
  it('turn DevTools off in every window', () => {
    expect(secureWebPreferences('/p.cjs', true)).toMatchObject({ devTools: false, contextIsolation: true, sandbox: true });
    expect(secureWebPreferences('/p.cjs', false)).toMatchObject({ devTools: true });
  });

  it('refuse remote-debugging and inspector switches, only when packaged', () => {
    const exe = ['/opt/MagicLens/magiclens'];
    for (const sw of ['--remote-debugging-port=9222', '--remote-debugging-port', '--REMOTE-DEBUGGING-PORT=1', '--remote-debugging-pipe', '--inspect=9229', '--inspect-brk', '--js-flags=--allow-natives-syntax'])
      expect(debugSwitchProblem([...exe, sw], true), sw).toMatch(/does not start with debugging switches/);
    expect(debugSwitchProblem([...exe, '--remote-debugging-port=9222'], false)).toBeNull();
    for (const ok of [[], ['--no-sandbox-not-really'], ['/home/me/--inspect.jpg'], ['--remote-debugging-portal']]) expect(debugSwitchProblem([...exe, ...ok], true), ok.join(' ')).toBeNull();
  });
});
