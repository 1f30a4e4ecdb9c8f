// gpu_busy_percent's one-second average (src/emu/serve/busy-window.ts), on a made-up clock (ms).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BusyWindow } from '../src/emu/serve/busy-window.js';

const sampleAt = (w: BusyWindow, times: readonly number[], busy: boolean): void => times.forEach((t) => w.add(t, busy));

test('the share of busy samples among those of the last second; 0 before any sample', () => {
  const w = new BusyWindow(1000);
  assert.equal(w.percent, 0);
  sampleAt(w, [0, 100, 200, 300], false);
  sampleAt(w, [400, 500, 600, 700, 800, 900], true);
  assert.equal(w.percent, 60);
  // At 1000 the sample taken at 0 leaves the window: 7 busy of 10.
  w.add(1000, true);
  assert.equal(w.percent, 70);
});

test('a sampling timer running late does not stretch the window back to before the work began', () => {
  const w = new BusyWindow(1000);
  // Idle until 1000, then busy, sampled every 160 ms instead of 100 (a loaded machine).
  sampleAt(w, [0, 100, 200, 300, 400, 500, 600, 700, 800, 900], false);
  sampleAt(w, [1000, 1160, 1320, 1480, 1640, 1800, 1960, 2120], true);
  // The last 10 samples would include two idle ones (80 %); the last second holds only busy ones.
  assert.equal(w.percent, 100);
});
