// When an engine thread with nothing to run polls again instead of sleeping: within a short window
// after it last had work, a poll sees the next doorbell (or the word a wait packet watches) at once,
// where a futex wake-up costs tens of microseconds. Polling only pays while the thread it waits for has
// a core of its own: a poll that finds a long gap since the previous one means this thread was
// descheduled (the cores are oversubscribed, and spinning takes time from the thread it waits for,
// whose scheduler priority a sleeping thread would keep), so polling then stops for a while. One such
// gap alone is not taken for oversubscription: a virtual machine's vCPU loses a tenth of a millisecond
// now and then (on our 2-core machine one to four times in a run of 8000 empty-kernel launches), and
// backing off for each made every doorbell of the back-off pay a futex wake-up. Oversubscribed cores
// deschedule a spinning thread again within a few time slices. A window that simply ends with nothing
// found costs at most its own length and backs nothing off: sleeping through the following windows
// made a launch-and-wait loop's doorbells wake the engine by futex, and on a VM the woken thread then
// often shared the submitting thread's core for the rest of the run (median launch → wait 18-28 µs
// instead of 2).
// The window adapts to the work: a thread woken for work soon after its window closed (a CPU thread
// that itself slept and took a VM's 50-400 µs to wake) would have found it by polling a little longer,
// so the window grows to twice that sleep, up to maxWindowMs; a long sleep or one that timed out
// halves it again, down to windowMs, so sporadic work costs little polling. Pure bookkeeping over a
// clock the caller reads.

export interface SpinLimits {
  /** How long after the last work the thread keeps polling, at least. */
  readonly windowMs: number;
  /** The longest the window grows to after sleeps that work soon ended. */
  readonly maxWindowMs: number;
  /** A gap between two polls longer than this means the thread was descheduled. */
  readonly preemptedMs: number;
  /** A second descheduled poll within this time of the first means the cores are oversubscribed. */
  readonly preemptedAgainMs: number;
  /** How long the thread only sleeps after a second descheduled poll. */
  readonly backoffMs: number;
}

export class SpinWindow {
  /** When the thread last ran out of work (NaN: it did work since). */
  private idleSince = Number.NaN;
  /** Whether the window after the last work is still open (it closes once, by time or back-off). */
  private open = false;
  private lastPoll = Number.NaN;
  private sleepOnlyUntil = Number.NEGATIVE_INFINITY;
  /** When a poll last found the thread descheduled. */
  private preemptedAt = Number.NEGATIVE_INFINITY;
  /** The window now: between limits.windowMs and limits.maxWindowMs. */
  private windowMs: number;

  constructor(private readonly limits: SpinLimits) {
    this.windowMs = limits.windowMs;
  }

  /** The window the next idle period polls for (ms). */
  get window(): number {
    return this.windowMs;
  }

  /**
   * The thread slept `ms` and was then woken for work (`woken`) or by its own timeout. Work that came
   * within maxWindowMs of the window's close grows the window to twice that gap; anything else
   * halves it, never below windowMs.
   */
  slept(ms: number, woken: boolean): void {
    const l = this.limits;
    this.windowMs = woken && ms < l.maxWindowMs ? Math.min(l.maxWindowMs, Math.max(this.windowMs, 2 * ms)) : Math.max(l.windowMs, this.windowMs / 2);
  }

  /** The thread did work: a new window opens at the next idle poll. */
  worked(): void {
    this.idleSince = Number.NaN;
    this.lastPoll = Number.NaN;
    this.open = true;
  }

  /** At `now` (ms) the thread found nothing to do: true to poll again at once, false to sleep. */
  pollAgain(now: number): boolean {
    if (!this.open) return false;
    if (Number.isNaN(this.idleSince)) this.idleSince = now;
    const gap = now - this.lastPoll;
    this.lastPoll = Number.NaN;
    if (now < this.sleepOnlyUntil) return this.close();
    if (gap > this.limits.preemptedMs) {
      const again = now - this.preemptedAt <= this.limits.preemptedAgainMs;
      this.preemptedAt = now;
      return this.close(again ? now : undefined);
    }
    if (now - this.idleSince >= this.windowMs) return this.close();
    this.lastPoll = now;
    return true;
  }

  /** Ends the window; with `backOffAt`, polling stops from then for the back-off time. Always false (sleep). */
  private close(backOffAt?: number): false {
    this.open = false;
    if (backOffAt !== undefined) this.sleepOnlyUntil = backOffAt + this.limits.backoffMs;
    return false;
  }
}
