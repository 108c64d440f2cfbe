/**
 * Shamir secret sharing over GF(2^8) with the AES polynomial, byte-compatible with the scheme sops uses for
 * several `key_groups` (HashiCorp Vault's `shamir` package): every share is the y-values of each secret byte
 * followed by one byte holding the share's x coordinate. No maintained npm package produces this exact layout.
 */

function mult(a: number, b: number): number {
  let r = 0;
  for (let i = 7; i >= 0; i--) {
    r = ((-((b >> i) & 1) & a) ^ (-(r >> 7) & 0x1b) ^ (r + r)) & 0xff;
  }
  return r;
}

function inverse(a: number): number {
  // a^254 = a^-1 in GF(2^8).
  let result = 1;
  let base = a;
  for (let e = 254; e > 0; e >>= 1) {
    if (e & 1) result = mult(result, base);
    base = mult(base, base);
  }
  return result;
}

function interpolateAtZero(xs: readonly number[], ys: readonly number[]): number {
  let result = 0;
  for (let i = 0; i < xs.length; i++) {
    let basis = 1;
    for (let j = 0; j < xs.length; j++) {
      if (i === j) continue;
      basis = mult(basis, mult(xs[j]!, inverse(xs[i]! ^ xs[j]!)));
    }
    result ^= mult(ys[i]!, basis);
  }
  return result;
}

/** Splits `secret` into `parts` shares, any `threshold` of which rebuild it. */
export function shamirSplit(
  secret: Uint8Array,
  parts: number,
  threshold: number,
  randomBytes: (n: number) => Uint8Array,
): Uint8Array[] {
  if (threshold < 2 || parts < threshold || parts > 255)
    throw new Error(`invalid Shamir parameters: ${parts} parts, threshold ${threshold}`);
  // Distinct non-zero x coordinates from a random permutation of 1..255.
  const xs: number[] = Array.from({ length: 255 }, (_, i) => i + 1);
  const rnd = randomBytes(255 * 2);
  for (let i = xs.length - 1; i > 0; i--) {
    const j = ((rnd[2 * i]! << 8) | rnd[2 * i + 1]!) % (i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  const shares = Array.from({ length: parts }, (_, p) => {
    const s = new Uint8Array(secret.length + 1);
    s[secret.length] = xs[p]!;
    return s;
  });
  for (let b = 0; b < secret.length; b++) {
    const coefficients = [secret[b]!, ...randomBytes(threshold - 1)];
    for (const share of shares) {
      const x = share[secret.length]!;
      let y = 0;
      for (let c = coefficients.length - 1; c >= 0; c--) y = mult(y, x) ^ coefficients[c]!;
      share[b] = y;
    }
  }
  return shares;
}

/** Rebuilds the secret from at least `threshold` shares (all the same length). */
export function shamirCombine(shares: readonly Uint8Array[]): Uint8Array {
  if (shares.length < 2) throw new Error("at least two Shamir shares are needed");
  const len = shares[0]!.length;
  if (shares.some((s) => s.length !== len) || len < 2) throw new Error("Shamir shares differ in length");
  const xs = shares.map((s) => s[len - 1]!);
  if (new Set(xs).size !== xs.length) throw new Error("duplicate Shamir share");
  const secret = new Uint8Array(len - 1);
  for (let b = 0; b < len - 1; b++)
    secret[b] = interpolateAtZero(
      xs,
      shares.map((s) => s[b]!),
    );
  return secret;
}
