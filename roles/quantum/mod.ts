/**
 * The quantum roles of the CQKD protocol as pure batch functions, the simulated channel between them (noise and
 * an intercept–resend Eve) and the injected randomness they draw from. Bits, bases and polarizations are typed
 * arrays with one entry per position.
 *
 * @module
 */
export * from "./batch.ts";
export * from "./bg.ts";
export * from "./channel.ts";
export * from "./qpc.ts";
export * from "./qpm.ts";
export * from "./qpp.ts";
export * from "./qsg.ts";
export * from "./random.ts";
