// When a thread waiting for another thread's store polls again instead of sleeping: within a short
// window after it last had work, a poll sees the store at once where a futex wake-up costs tens of
// microseconds. Polling only pays while the thread it waits for has a core of its own: a poll that
// finds a long gap since the previous one means this thread was descheduled (the cores are
// oversubscribed, and spinning takes time from the thread it waits for, whose scheduler priority a
// sleeping thread would keep), so polling then stops for a while. Pure bookkeeping over a clock the
// caller reads; the emulated engines and the driver's fence waits both use it.

export interface SpinLimits {
  /** How long after the last work the thread keeps polling. */
  readonly windowMs: number;
  /** A gap between two polls longer than this means the thread was descheduled. */
  readonly preemptedMs: number;
  /** How long the thread only sleeps after such a gap. */
  readonly backoffMs: number;
}

export class SpinWindow {
  /** When the thread last ran out of work (NaN: it did work since the last poll). */
  private idleSince = Number.NaN;
  private lastPoll = Number.NaN;
  private sleepOnlyUntil = Number.NEGATIVE_INFINITY;

  constructor(private readonly limits: SpinLimits) {}

  /** The thread did work: the window starts again at the next idle poll. */
  worked(): void {
    this.idleSince = Number.NaN;
    this.lastPoll = Number.NaN;
  }

  /** At `now` (ms) the thread found nothing to do: true to poll again at once, false to sleep. */
  pollAgain(now: number): boolean {
    if (Number.isNaN(this.idleSince)) this.idleSince = now;
    const gap = now - this.lastPoll;
    this.lastPoll = Number.NaN;
    if (now < this.sleepOnlyUntil) return false;
    if (gap > this.limits.preemptedMs) {
      this.sleepOnlyUntil = now + this.limits.backoffMs;
      return false;
    }
    if (now - this.idleSince >= this.limits.windowMs) return false;
    this.lastPoll = now;
    return true;
  }
}
