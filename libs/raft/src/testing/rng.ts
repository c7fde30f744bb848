/**
 * mulberry32: a small seeded PRNG giving floats in [0, 1). The only randomness of the tests, the simulator
 * and the scenario scripts; `seed` is used as is (see {@link Rng} for a generator that spreads nearby seeds).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The simulator's source of randomness: mulberry32 with helpers. `fork()` derives an
 * independent child stream, so that one component drawing more numbers does not shift another's choices.
 */
export class Rng {
  /** A float in [0, 1). */
  readonly next: () => number;

  constructor(seed: number) {
    // Spread nearby seeds apart before the first draw.
    this.next = mulberry32(Math.imul(seed >>> 0, 0x9e3779b1) ^ 0x5bd1e995);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi] (both included). */
  intIn(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** A float in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new RangeError("sim: pick from an empty list");
    return xs[this.int(xs.length)] as T;
  }

  /** A shuffled copy of `xs` (Fisher-Yates). */
  shuffle<T>(xs: readonly T[]): T[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = out[i] as T;
      out[i] = out[j] as T;
      out[j] = t;
    }
    return out;
  }

  /** An exponentially distributed delay with the given mean (for fault arrival times). */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** An independent generator seeded from this one. */
  fork(): Rng {
    return new Rng(this.int(4294967296));
  }

  /** This generator as the `random(n)` function a Raft core is configured with. */
  asIntSource(): (n: number) => number {
    return (n) => this.int(n);
  }
}
