import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RestartPolicy } from '@vigil/registry';
import { SUPERVISOR_ERROR_CODES } from './errors.js';
import {
  decideExit,
  exitError,
  type ExitContext,
  type ExitDecision,
  type ExitEvent,
} from './exit-decision.js';

const NOW = 1_000_000;

function policy(
  kind: RestartPolicy['policy'],
  crashLoop = { restarts: 3, windowSeconds: 60 },
): RestartPolicy {
  return { policy: kind, initialBackoffMs: 100, maxBackoffMs: 1_000, crashLoop };
}

function context(over: Partial<ExitContext> = {}): ExitContext {
  return {
    draining: false,
    history: { attempt: 0, restartTimes: [], readySince: null },
    policy: policy('always'),
    stableAfterMs: 60_000,
    jitter: 1,
    ...over,
  };
}

const clean: ExitEvent = { code: 0, signal: null, at: NOW };
const crashed: ExitEvent = { code: 1, signal: null, at: NOW };
const signalled: ExitEvent = { code: null, signal: 'SIGSEGV', at: NOW };
const configError: ExitEvent = { code: 78, signal: null, at: NOW };
const liveness = { code: SUPERVISOR_ERROR_CODES.LIVENESS_FAILED, message: 'liveness failed' };
const killed: ExitEvent = { code: null, signal: 'SIGKILL', killReason: liveness, at: NOW };
const killedButZero: ExitEvent = { code: 0, signal: null, killReason: liveness, at: NOW };
const fatal = { code: 'VIGIL_RUNTIME_X', message: 'store unreachable' };
const reportedThenZero: ExitEvent = { code: 0, signal: null, fatal, at: NOW };
const spawnFailed: ExitEvent = { code: null, signal: null, spawnError: 'ENOENT node', at: NOW };

const exited = (message: string) => ({ code: SUPERVISOR_ERROR_CODES.EXITED, message });

/** Decision kind, cause (for `fail`) and back-off (for `restart`): the table's columns. */
function summary(d: ExitDecision): string {
  if (d.kind === 'fail') return `fail:${d.cause}`;
  if (d.kind === 'restart') return `restart:${d.delayMs}:attempt ${d.history.attempt}`;
  return d.kind;
}

const cases: readonly [name: string, event: ExitEvent, ctx: ExitContext, expected: string][] = [
  // A stopping supervisor drains: nothing restarts, whatever the exit or policy.
  ['draining, clean exit', clean, context({ draining: true }), 'drained'],
  ['draining, crash', crashed, context({ draining: true }), 'drained'],
  ['draining, configuration error', configError, context({ draining: true }), 'drained'],
  [
    'draining, policy never',
    killed,
    context({ draining: true, policy: policy('never') }),
    'drained',
  ],
  // Exit 78 is a configuration error under every policy.
  ['config error, always', configError, context(), 'fail:configuration'],
  [
    'config error, on-failure',
    configError,
    context({ policy: policy('on-failure') }),
    'fail:configuration',
  ],
  ['config error, never', configError, context({ policy: policy('never') }), 'fail:configuration'],
  // Policy always restarts clean and failed exits.
  ['always, clean exit', clean, context(), 'restart:100:attempt 1'],
  ['always, crash', crashed, context(), 'restart:100:attempt 1'],
  ['always, signal', signalled, context(), 'restart:100:attempt 1'],
  ['always, killed by the supervisor', killed, context(), 'restart:100:attempt 1'],
  ['always, spawn failed', spawnFailed, context(), 'restart:100:attempt 1'],
  // on-failure restarts failures only; a supervisor kill is a failure even with exit 0.
  ['on-failure, clean exit', clean, context({ policy: policy('on-failure') }), 'stop'],
  [
    'on-failure, fatal reported then exit 0',
    reportedThenZero,
    context({ policy: policy('on-failure') }),
    'stop',
  ],
  [
    'on-failure, crash',
    crashed,
    context({ policy: policy('on-failure') }),
    'restart:100:attempt 1',
  ],
  [
    'on-failure, killed with exit 0',
    killedButZero,
    context({ policy: policy('on-failure') }),
    'restart:100:attempt 1',
  ],
  // never restarts nothing: clean is stopped, a failure is failed.
  ['never, clean exit', clean, context({ policy: policy('never') }), 'stop'],
  ['never, crash', crashed, context({ policy: policy('never') }), 'fail:restart-policy'],
  ['never, killed', killed, context({ policy: policy('never') }), 'fail:restart-policy'],
  // Back-off grows with attempts and is capped.
  [
    'third attempt doubles twice',
    crashed,
    context({ history: { attempt: 2, restartTimes: [], readySince: null } }),
    'restart:400:attempt 3',
  ],
  [
    'back-off capped at the maximum',
    crashed,
    context({ history: { attempt: 9, restartTimes: [], readySince: null } }),
    'restart:1000:attempt 10',
  ],
  // A life that stayed ready long enough resets the back-off.
  [
    'stable life resets the back-off',
    crashed,
    context({ history: { attempt: 5, restartTimes: [], readySince: NOW - 60_000 } }),
    'restart:100:attempt 1',
  ],
  [
    'a life ready just short of stable does not',
    crashed,
    context({ history: { attempt: 5, restartTimes: [], readySince: NOW - 59_999 } }),
    'restart:1000:attempt 6',
  ],
  [
    'a life never ready does not',
    crashed,
    context({ history: { attempt: 1, restartTimes: [], readySince: null } }),
    'restart:200:attempt 2',
  ],
  // Crash loop: more than `restarts` restarts within the window.
  [
    'restarts up to the limit restart',
    crashed,
    context({ history: { attempt: 2, restartTimes: [NOW - 2, NOW - 1], readySince: null } }),
    'restart:400:attempt 3',
  ],
  [
    'one more within the window is a crash loop',
    crashed,
    context({
      history: { attempt: 3, restartTimes: [NOW - 3, NOW - 2, NOW - 1], readySince: null },
    }),
    'fail:crash-loop',
  ],
  [
    'clean exits under always count towards a crash loop',
    clean,
    context({
      history: { attempt: 3, restartTimes: [NOW - 3, NOW - 2, NOW - 1], readySince: null },
    }),
    'fail:crash-loop',
  ],
  [
    'restarts older than the window do not count',
    crashed,
    context({
      history: {
        attempt: 3,
        restartTimes: [NOW - 60_000, NOW - 2, NOW - 1],
        readySince: null,
      },
    }),
    'restart:800:attempt 4',
  ],
  [
    'a stable life does not clear the crash-loop window',
    crashed,
    context({
      history: { attempt: 3, restartTimes: [NOW - 3, NOW - 2, NOW - 1], readySince: 0 },
    }),
    'fail:crash-loop',
  ],
];

for (const [name, event, ctx, expected] of cases) {
  test(`exit decision: ${name} → ${expected}`, () => {
    assert.equal(summary(decideExit(event, ctx)), expected);
  });
}

test('an exit is described by the kill reason, then the reported fatal error, then its status', () => {
  assert.equal(exitError(clean), undefined);
  assert.deepEqual(exitError(crashed), exited('exited with code 1'));
  assert.deepEqual(exitError(signalled), exited('killed by SIGSEGV'));
  assert.deepEqual(exitError(killed), liveness);
  assert.deepEqual(exitError({ ...killed, fatal }), liveness);
  assert.deepEqual(exitError({ ...crashed, fatal }), fatal);
  assert.deepEqual(exitError(reportedThenZero), fatal);
  assert.deepEqual(exitError(spawnFailed), {
    code: SUPERVISOR_ERROR_CODES.SPAWN_FAILED,
    message: 'ENOENT node',
  });
});

test('jitter keeps half of the back-off fixed and randomises the other half', () => {
  const at = (jitter: number): ExitDecision =>
    decideExit(
      crashed,
      context({ jitter, history: { attempt: 2, restartTimes: [], readySince: null } }),
    );
  assert.equal(summary(at(0)), 'restart:200:attempt 3');
  assert.equal(summary(at(0.5)), 'restart:300:attempt 3');
});

test('a restart records itself in the window and drops restarts that left it', () => {
  const d = decideExit(
    crashed,
    context({ history: { attempt: 1, restartTimes: [NOW - 70_000, NOW - 5], readySince: null } }),
  );
  assert.equal(d.kind, 'restart');
  assert.deepEqual(d.kind === 'restart' && d.history.restartTimes, [NOW - 5, NOW]);
  assert.equal(
    d.kind === 'restart' && d.rationale,
    'restart policy always: exited with code 1; back-off 200 ms',
  );
});

test('a crash loop names the limit and the last error, and replaces the last error', () => {
  const d = decideExit(
    killed,
    context({
      policy: policy('on-failure', { restarts: 1, windowSeconds: 10 }),
      history: { attempt: 1, restartTimes: [NOW - 1_000], readySince: null },
    }),
  );
  assert.equal(d.kind, 'fail');
  if (d.kind !== 'fail') return;
  const message =
    'crash loop: more than 1 restarts within 10 s; not restarted (last: liveness failed)';
  assert.deepEqual(d.lastError, { code: SUPERVISOR_ERROR_CODES.CRASH_LOOP, message });
  assert.deepEqual(d.alert, { code: SUPERVISOR_ERROR_CODES.CRASH_LOOP, message });
  assert.equal(d.errorCode, SUPERVISOR_ERROR_CODES.CRASH_LOOP);
  assert.deepEqual(d.error, liveness);
  assert.deepEqual(d.history, { attempt: 2, restartTimes: [NOW - 1_000, NOW] });
});

test('a configuration error is raised as an alert and keeps its own error', () => {
  const d = decideExit({ ...configError, fatal }, context());
  assert.equal(d.kind, 'fail');
  if (d.kind !== 'fail') return;
  assert.deepEqual(d.alert, {
    code: fatal.code,
    message: 'configuration error, not restarted: store unreachable',
  });
  assert.equal(d.lastError, undefined);
  assert.equal(d.history, undefined);
  assert.equal(d.stateReason, 'configuration error: store unreachable');
  const bare = decideExit(configError, context());
  assert.equal(bare.kind === 'fail' && bare.alert?.code, SUPERVISOR_ERROR_CODES.EXITED);
});

test('a failure the policy does not restart raises no alert and counts no restart', () => {
  const d = decideExit(crashed, context({ policy: policy('never') }));
  assert.equal(d.kind, 'fail');
  if (d.kind !== 'fail') return;
  assert.equal(d.alert, undefined);
  assert.equal(d.history, undefined);
  assert.equal(d.rationale, 'restart policy never: not restarted');
  assert.equal(d.errorCode, SUPERVISOR_ERROR_CODES.EXITED);
});

test('a drained exit and a clean stop carry the exit error, if any', () => {
  const drained = decideExit(killed, context({ draining: true }));
  assert.deepEqual(drained, { kind: 'drained', error: liveness });
  const stop = decideExit(reportedThenZero, context({ policy: policy('never') }));
  assert.deepEqual(stop, { kind: 'stop', error: fatal, reason: 'restart policy never' });
});
