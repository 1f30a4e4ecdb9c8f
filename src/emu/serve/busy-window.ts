// gpu_busy_percent's average: the share of busy samples among those taken in the last second, chosen
// by when they were taken. A fixed count of samples would reach further back whenever the sampling
// timer runs late (a loaded machine), and count idle time from before the work began.

export class BusyWindow {
  private readonly times: number[] = [];
  private readonly busy: boolean[] = [];

  constructor(private readonly windowMs: number) {}

  /** A sample taken at `now` (ms, any monotonic clock); samples older than the window are dropped. */
  add(now: number, busy: boolean): void {
    this.times.push(now);
    this.busy.push(busy);
    while (this.times[0]! <= now - this.windowMs) {
      this.times.shift();
      this.busy.shift();
    }
  }

  /** 0…100: busy samples over all samples in the window (0 before the first sample). */
  get percent(): number {
    const n = this.busy.length;
    if (n === 0) return 0;
    let busy = 0;
    for (const b of this.busy) if (b) busy++;
    return (100 * busy) / n;
  }
}
