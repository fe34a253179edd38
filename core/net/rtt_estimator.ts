/**
 * Round-trip times of a transport's answered requests, smoothed as TCP does (RFC 6298: SRTT, RTTVAR, RTO =
 * SRTT + 4 RTTVAR). A process short of CPU answers late and reads answers late; its retransmission timeout rises
 * with it, so that checks which go by it do not take a slow answer for a dead peer.
 */
export class RttEstimator {
  #smoothedMs: number | undefined;
  #variationMs = 0;

  /** Takes one measured round trip, in milliseconds. */
  sample(rttMs: number): void {
    if (!(rttMs >= 0)) return;
    if (this.#smoothedMs === undefined) {
      this.#smoothedMs = rttMs;
      this.#variationMs = rttMs / 2;
      return;
    }
    this.#variationMs = 0.75 * this.#variationMs + 0.25 * Math.abs(this.#smoothedMs - rttMs);
    this.#smoothedMs = 0.875 * this.#smoothedMs + 0.125 * rttMs;
  }

  /** The smoothed round trip in milliseconds; undefined before the first answer. */
  get smoothedMs(): number | undefined {
    return this.#smoothedMs;
  }

  /** The retransmission timeout SRTT + 4 RTTVAR in milliseconds; 0 before the first answer. */
  get timeoutMs(): number {
    return this.#smoothedMs === undefined ? 0 : this.#smoothedMs + 4 * this.#variationMs;
  }
}
