/** `1 node`, `2 nodes`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** A share as a percentage with one decimal: `16.7 %`. */
export function percent(share: number): string {
  return `${Math.round(share * 1000) / 10} %`;
}

/** A list of names for a line of text: the first few, then how many more. */
export function names(list: readonly string[], shown = 5): string {
  const head = list.slice(0, shown).join(", ");
  return list.length > shown ? `${head} and ${list.length - shown} more` : head;
}
