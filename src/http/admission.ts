/**
 * How many scoring requests one process admits at once, adapted to how congested its event loop is.
 *
 * A saturated loop queues work in the sockets, where no in-flight count sees it, and every request, refused or
 * not, waits its turn there: with a fixed MAX_IN_FLIGHT of 256 at 5,000 events/s on this 2-core machine the
 * admitted work took the whole loop and the refusals arrived at p50 3.2 s. A refusal costs CPU too, so the loop
 * must keep room for them.
 *
 * Utilisation alone is the wrong trigger: on a 2-core machine shared with Redis a loop at 98% still keeps up at
 * 2,000 events/s, and shrinking on it refused 2-12% of a load the service answers. So a window counts as
 * overloaded only when the loop is past `target` utilisation *and* a queue is standing: even the fastest
 * request admitted and answered in the window took longer than `standingMs` (CoDel's signal; one slow request
 * is noise, a minimum that high means everyone waited). An overloaded window shrinks the limit by a quarter; a
 * window with neither signal grows it back by a tenth (AIMD, as TCP and Netflix's concurrency-limits do). The
 * floor keeps a closed loop of a few dozen clients from being refused at all, and keeps a storm of
 * fast-retrying refused clients (whose refusals alone keep the loop busy) from starving admitted work.
 */
export class AdmissionLimit {
  private value: number
  private fastest = Infinity

  constructor(readonly max: number, readonly floor: number, readonly target: number, readonly standingMs = 10) {
    this.value = max
  }

  get limit(): number {
    return this.value
  }

  /** an admitted request's time in service, from its body's arrival to its answer */
  observe(ms: number): void {
    if (ms < this.fastest) this.fastest = ms
  }

  /** close one window, given its event-loop utilisation (0..1) */
  update(utilization: number): number {
    // no answer at all in a busy window is the longest wait there is
    const standing = this.fastest > this.standingMs
    if (utilization > this.target && standing) this.value = Math.max(this.floor, Math.floor(this.value * 0.75))
    else if (utilization < this.target - 0.05 || !standing) this.value = Math.min(this.max, this.value + Math.max(1, Math.ceil(this.value * 0.1)))
    this.fastest = Infinity
    return this.value
  }
}
