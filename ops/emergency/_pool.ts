/**
 * Runs `task` on every item with at most `concurrency` at once (a control API serves one host's nodes; thousands of
 * requests at once would only queue there), and settles each like `Promise.allSettled`, in the items' order.
 */
export async function settleAll<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new RangeError(`Cannot run with concurrency ${concurrency}: expected an integer >= 1`);
  }
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { status: "fulfilled", value: await task(items[index]!) };
      } catch (reason) {
        results[index] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}
