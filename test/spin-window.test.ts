// The engine thread's poll-or-sleep decision, driven with a made-up
// clock (ms): it polls only inside the window after its last work, and a long gap between two polls
// (the thread was descheduled) twice in a short time turns polling off for the back-off time; windows
// that end with nothing found do not. The window grows after sleeps that work soon ended, and shrinks
// back after long ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpinWindow } from '../src/emu/engine/spin-window.js';
import { ENGINE_SPIN } from '../src/emu/engine/engine-thread.js';

// Binary fractions of a millisecond, so the clock arithmetic is exact.
const LIMITS = { windowMs: 0.125, maxWindowMs: 1, preemptedMs: 0.0625, preemptedAgainMs: 4, backoffMs: 16 };
const T = 1 / 32;

/** Polls at each time in `times` and returns the decisions. */
const polls = (s: SpinWindow, times: readonly number[]): boolean[] => times.map((t) => s.pollAgain(t));

test('an idle thread polls for the window after its last work, then sleeps', () => {
  const s = new SpinWindow(LIMITS);
  s.worked();
  assert.deepEqual(polls(s, [1, 1 + T, 1 + 2 * T, 1 + 3 * T, 1 + 4 * T, 1 + 5 * T]), [true, true, true, true, false, false]);
  // Woken from its sleep with nothing to do: still past the window, so it sleeps again.
  assert.equal(s.pollAgain(3), false);
  // New work opens a new window from the first idle poll after it.
  s.worked();
  assert.deepEqual(polls(s, [5, 5 + T, 5 + 2 * T, 5 + 3 * T, 5 + 4 * T]), [true, true, true, true, false]);
});

test('a sleep in between is not taken for a preemption', () => {
  const s = new SpinWindow(LIMITS);
  s.worked();
  assert.deepEqual(polls(s, [1, 1 + T, 1 + 2 * T, 1 + 3 * T, 1 + 4 * T]), [true, true, true, true, false]);
  // Slept 2 ms; new work; polls resume at once (no back-off from the gap that spanned the sleep).
  s.worked();
  assert.deepEqual(polls(s, [3, 3 + T]), [true, true]);
});

test('one gap longer than preemptedMs between polls only ends that window; a second within preemptedAgainMs turns polling off for backoffMs', () => {
  const s = new SpinWindow(LIMITS);
  s.worked();
  assert.deepEqual(polls(s, [1, 1 + T]), [true, true]);
  // Descheduled for 3/32 ms between two polls: sleep instead, this once.
  assert.equal(s.pollAgain(1 + 4 * T), false);
  // The next work's window polls as usual.
  s.worked();
  assert.deepEqual(polls(s, [2, 2 + T]), [true, true]);
  // Descheduled again 1 + 1/32 ms after the first (within 4 ms): sleep, and back off.
  assert.equal(s.pollAgain(2 + 4 * T), false);
  // Work arrives during the back-off: still no polling after it until 18 + 4/32.
  s.worked();
  assert.deepEqual(polls(s, [3, 3 + T]), [false, false]);
  s.worked();
  assert.equal(s.pollAgain(18), false);
  s.worked();
  assert.deepEqual(polls(s, [18 + 4 * T, 18 + 5 * T, 18 + 8 * T]), [true, true, false]);
  // A gap long after the last one (more than 4 ms) is a first one again: no back-off.
  s.worked();
  assert.deepEqual(polls(s, [30, 30 + 4 * T]), [true, false]);
  s.worked();
  assert.deepEqual(polls(s, [31, 31 + T]), [true, true]);
});

test('windows that end with nothing found, however many in a row, never turn polling off', () => {
  const s = new SpinWindow(LIMITS);
  /** One idle period starting at `t`: polls until the window closes; returns how many polls said yes. */
  const fruitlessWindow = (t: number): number => {
    s.worked();
    let yes = 0;
    for (let k = 0; s.pollAgain(t + k * T); k++) yes++;
    return yes;
  };
  // Sporadic work (a launch-and-wait loop whose CPU thread paused): every window polls its full length.
  assert.deepEqual(Array.from({ length: 32 }, (_, i) => fruitlessWindow(1 + i / 4)), Array.from({ length: 32 }, () => 4));
});

test('a sleep that work ended within maxWindowMs grows the window to twice it (at most maxWindowMs); a long or fruitless one halves it, down to windowMs', () => {
  const s = new SpinWindow(LIMITS);
  assert.equal(s.window, 0.125);
  s.slept(0.25, true);
  assert.equal(s.window, 0.5, 'work came 0.25 ms after the window closed: polling twice that would have found it');
  s.worked();
  const times = Array.from({ length: 17 }, (_, k) => 10 + k * T);
  assert.deepEqual(polls(s, times), [...Array<boolean>(16).fill(true), false], 'the next idle period polls for the grown window (16 polls 1/32 ms apart)');
  s.slept(0.75, true);
  assert.equal(s.window, 1, 'capped at maxWindowMs');
  s.slept(0.0625, true);
  assert.equal(s.window, 1, 'a short sleep never shrinks it');
  s.slept(3, true);
  assert.equal(s.window, 0.5, 'work 3 ms later: polling would not have found it, so halve');
  s.slept(0.0625, false);
  assert.equal(s.window, 0.25, 'woken with nothing to do: halve');
  for (let i = 0; i < 8; i++) s.slept(5, false);
  assert.equal(s.window, 0.125, 'never below windowMs');
});

test('the engine polls at most a tenth of a millisecond after work and backs off for far longer than it polls', () => {
  assert.ok(ENGINE_SPIN.windowMs <= 0.1, `window ${ENGINE_SPIN.windowMs} ms`);
  // Grown, the window covers a VM's slow wake-ups of the CPU thread (50-400 µs), and stays far below the back-off.
  assert.ok(ENGINE_SPIN.maxWindowMs >= 0.4 && ENGINE_SPIN.maxWindowMs <= ENGINE_SPIN.backoffMs / 5, `max window ${ENGINE_SPIN.maxWindowMs} ms`);
  assert.ok(ENGINE_SPIN.backoffMs >= 100 * ENGINE_SPIN.windowMs, `back-off ${ENGINE_SPIN.backoffMs} ms`);
  // A second descheduled poll counts as oversubscription within a few scheduler time slices (~3 ms each).
  assert.ok(ENGINE_SPIN.preemptedAgainMs >= 10, `again within ${ENGINE_SPIN.preemptedAgainMs} ms`);
});
