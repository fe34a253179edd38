import { CommandError } from "./exit_codes.ts";

/** Reads a flag's whole number. @throws {CommandError} naming the flag otherwise */
export function count(text: string | undefined, flag: string): number {
  const value = Number(text);
  if (text === undefined || !/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) {
    throw new CommandError(`Invalid ${flag} "${text}": expected a whole number`);
  }
  return value;
}

/** Reads a flag's number within 0-1. @throws {CommandError} naming the flag otherwise */
export function rate(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === "" || !(value >= 0 && value <= 1)) {
    throw new CommandError(`Invalid ${flag} "${text}": expected a number within 0-1`);
  }
  return value;
}

/** Reads a flag's seconds (>= 0). @throws {CommandError} naming the flag otherwise */
export function seconds(text: string, flag: string): number {
  const value = Number(text);
  if (!(value >= 0)) throw new CommandError(`Invalid ${flag} "${text}": expected seconds >= 0`);
  return value;
}
