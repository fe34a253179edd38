/** Every batch operation pairs arrays position by position: a length mismatch is a caller's bug. */
export function assertSameLength(operation: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new RangeError(`Cannot ${operation}: the arrays hold ${a.length} and ${b.length} positions`);
  }
}
