// Memory a submission borrowed (kernel arguments, indirect buffers) goes back to its pool once the
// queue's timeline shows the submission finished.
export class Retirements {
  private readonly pending: { value: number; release: () => void }[] = [];

  add(value: bigint, release: () => void): void {
    this.pending.push({ value: Number(value), release });
  }

  /** Releases everything whose submission completed by timeline value `done`. */
  collect(done: number): void {
    let i = 0;
    while (i < this.pending.length && this.pending[i]!.value <= done) this.pending[i++]!.release();
    if (i) this.pending.splice(0, i);
  }

  /** Releases everything (the queue is gone, so nothing can still be reading it). */
  drain(): void {
    for (const p of this.pending) p.release();
    this.pending.length = 0;
  }

  get size(): number {
    return this.pending.length;
  }
}
