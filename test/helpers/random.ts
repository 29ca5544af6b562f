// Seeded randomness for differential and fuzz tests: the same inputs on every run.

/** Numbers in [0, 1) from a seed (xorshift32). */
export function xorshift(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}
