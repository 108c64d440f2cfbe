import { GO_DIGIT_RANGES, GO_LETTER_RANGES } from "./go-unicode-tables.js";

/** Binary search in inclusive [start, end, start, end, …] ranges. */
function inRanges(ranges: readonly number[], cp: number): boolean {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < ranges[2 * mid]!) hi = mid - 1;
    else if (cp > ranges[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * go-yaml's map key order (`keyList.Less`), with Go's own Unicode tables (see go-unicode-tables.ts): runs of digits
 * compare as numbers (`a2 < a10`), a prefix sorts first (`audit < audit-version`), other characters sort before
 * letters (except right after a digit, where letters come first), letters compare by code point. Shared by the
 * machine-config encoder and the schematic emitter, which must both order Go map keys exactly as go-yaml does.
 */
export function goKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  const isDigit = (c: string): boolean => inRanges(GO_DIGIT_RANGES, c.codePointAt(0)!);
  const isLetter = (c: string): boolean => inRanges(GO_LETTER_RANGES, c.codePointAt(0)!);
  let digits = false;
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i]!;
    const bc = br[i]!;
    if (ac === bc) {
      digits = isDigit(ac);
      continue;
    }
    const al = isLetter(ac);
    const bl = isLetter(bc);
    if (al && bl) return ac.codePointAt(0)! < bc.codePointAt(0)!;
    if (al || bl) return digits ? al : bl;
    let an = 0n;
    let bn = 0n;
    if (ac === "0" || bc === "0") {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]!); j--) {
        if (ar[j] !== "0") {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai]!); ai++) an = an * 10n + BigInt(ar[ai]!.codePointAt(0)! - 48);
    for (; bi < br.length && isDigit(br[bi]!); bi++) bn = bn * 10n + BigInt(br[bi]!.codePointAt(0)! - 48);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ac.codePointAt(0)! < bc.codePointAt(0)!;
  }
  return ar.length < br.length;
}

/** Comparator form of `goKeyLess`, for `Array.prototype.sort`. */
export function compareGoKeys(a: string, b: string): number {
  return goKeyLess(a, b) ? -1 : goKeyLess(b, a) ? 1 : 0;
}
