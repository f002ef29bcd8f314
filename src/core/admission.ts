// First come, first served: at most `limit` turns run at once; the others wait in arrival order.
//
// Without it, a burst of independent messages (500 citizens writing at once) runs all its turns
// interleaved: each awaits the database a few times, every await lets every other turn go a step further,
// so they all finish together at the end of the burst — the first citizen waits as long as the last
// (README "Fair bursts"). With a small number in flight (enough to keep the database pool busy), the
// first ones in are answered first and the reply time grows with one's place in the queue instead.
export class Admission {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error("admission limit must be a whole number ≥ 1");
  }

  /** Turns waiting for a place (metrics, tests). */
  get queued(): number {
    return this.waiting.length;
  }

  get inFlight(): number {
    return this.running;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      // The place passes straight to the next in line (running stays the same), or is freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
