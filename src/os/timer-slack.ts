// The calling thread's timer slack: how late Linux may end its timed sleeps so it can batch wakeups
// (50 µs by default). A thread that polls memory every few microseconds with a timed sleep, as the
// emulated engines do for a queue blocked on a memory condition, needs its sleeps to end on time.
import { createRequire } from 'node:module';

/** prctl option (/usr/include/linux/prctl.h). */
export const PR_SET_TIMERSLACK = 29;

/** Sets this thread's timer slack to `ns` nanoseconds; false when it could not (no koffi, not Linux). */
export function setTimerSlack(ns: number): boolean {
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const prctl = koffi.load('libc.so.6').func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)');
    return prctl(PR_SET_TIMERSLACK, ns, 0, 0, 0) === 0;
  } catch {
    return false;
  }
}
