import { ConfigError, type ConfigSource } from "./errors.ts";
import type { FieldSpec, ListField, NumberField, SettingValue } from "./field.ts";

/** Where a raw value was found, for error messages: `label` reads like `env BASE_PORT`. */
export interface Origin {
  readonly source: ConfigSource;
  readonly label: string;
}

/** Values one layer (file, env or flags) sets, by setting name, with where each came from. */
export type Layer = Map<string, { readonly value: SettingValue; readonly origin: Origin }>;

const TRUE = new Set(["true", "1", "yes"]);
const FALSE = new Set(["false", "0", "no"]);
const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const HOST_PORT = /^(\[[0-9a-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/i;

/** Describes what a field accepts, e.g. `integer 1-65535`. */
export function allowedText(field: FieldSpec): string {
  switch (field.kind) {
    case "bool":
      return "true, false, yes, no, 1 or 0";
    case "int":
    case "float":
      return `${field.kind === "int" ? "integer" : "number"}${boundsText(field)}`;
    case "string":
      return field.format === "host_port"
        ? "host:port with port 1-65535, or empty"
        : field.nonEmpty
        ? "non-empty string"
        : "string";
    case "enum":
      return `one of ${quoteAll(field.choices)}`;
    case "string_list":
      return `comma-separated list of ${field.choices ? quoteAll(field.choices) : "strings"}`;
    case "host_port_list":
      return "comma-separated list of host:port with port 1-65535";
  }
}

/**
 * Parses a raw value for a field: strings in their text form (as in the environment), other values as typed
 * (as in YAML or programmatic flags).
 *
 * @throws {ConfigError} naming the field, the value, the origin and what is allowed
 */
export function parseField(field: FieldSpec, raw: unknown, origin: Origin): SettingValue {
  const result = typeof raw === "string" ? parseText(field, raw) : parseTyped(field, raw);
  if (typeof result === "object" && "problem" in result) {
    const allowed = allowedText(field);
    const message = `Invalid setting ${field.name} from ${origin.label}: ${result.problem} (allowed: ${allowed})`;
    throw new ConfigError(message, { field: field.name, source: origin.source, allowed });
  }
  return result;
}

type Result = SettingValue | { problem: string };

function parseText(field: FieldSpec, text: string): Result {
  const trimmed = text.trim();
  switch (field.kind) {
    case "bool": {
      const lower = trimmed.toLowerCase();
      return TRUE.has(lower) ? true : FALSE.has(lower) ? false : { problem: `${show(text)} is not a boolean` };
    }
    case "int":
      return INT.test(trimmed) ? checkNumber(field, Number(trimmed)) : { problem: `${show(text)} is not an integer` };
    case "float":
      return FLOAT.test(trimmed) ? checkNumber(field, Number(trimmed)) : { problem: `${show(text)} is not a number` };
    case "string":
      return parseTyped(field, text);
    case "enum":
      return parseTyped(field, field.choices.find((choice) => choice === trimmed.toLowerCase()) ?? text);
    case "string_list":
    case "host_port_list":
      return parseList(field, text.split(",").map((item) => item.trim()).filter((item) => item !== ""));
  }
}

function parseTyped(field: FieldSpec, raw: unknown): Result {
  switch (field.kind) {
    case "bool":
      return typeof raw === "boolean" ? raw : { problem: `${show(raw)} is not a boolean` };
    case "int":
    case "float":
      if (typeof raw === "number" && Number.isFinite(raw) && (field.kind === "float" || Number.isInteger(raw))) {
        return checkNumber(field, raw);
      }
      return { problem: `${show(raw)} is not ${field.kind === "int" ? "an integer" : "a number"}` };
    case "string":
      if (typeof raw !== "string") return { problem: `${show(raw)} is not a string` };
      if (field.format === "host_port" && raw !== "" && !isHostPort(raw)) {
        return { problem: `${show(raw)} is not host:port` };
      }
      return field.nonEmpty && raw === "" ? { problem: `${show(raw)} is empty` } : raw;
    case "enum":
      return typeof raw === "string" && field.choices.includes(raw)
        ? raw
        : { problem: `${show(raw)} is not one of the choices` };
    case "string_list":
    case "host_port_list":
      if (typeof raw === "string") return parseText(field, raw);
      return Array.isArray(raw) ? parseList(field, raw) : { problem: `${show(raw)} is not a list` };
  }
}

function parseList(field: ListField, items: readonly unknown[]): Result {
  for (const item of items) {
    if (typeof item !== "string") return { problem: `item ${show(item)} is not a string` };
    if (field.choices && !field.choices.includes(item)) {
      return { problem: `item ${show(item)} is not one of the choices` };
    }
    if (field.kind === "host_port_list" && !isHostPort(item)) {
      return { problem: `item ${show(item)} is not host:port` };
    }
  }
  return items as readonly string[];
}

function isHostPort(item: string): boolean {
  const port = Number(HOST_PORT.exec(item)?.[2] ?? 0);
  return port >= 1 && port <= 65535;
}

function checkNumber(field: NumberField, value: number): Result {
  const { kind, min, max, exclusiveMin } = field;
  const outOfRange = (kind === "int" && !Number.isSafeInteger(value)) ||
    (min !== undefined && (exclusiveMin ? value <= min : value < min)) || (max !== undefined && value > max);
  return outOfRange ? { problem: `${show(value)} is out of range` } : value;
}

function boundsText({ min, max, exclusiveMin }: NumberField): string {
  if (min !== undefined && max !== undefined && !exclusiveMin) return ` ${min}-${max}`;
  const parts = [
    min === undefined ? "" : ` ${exclusiveMin ? ">" : ">="} ${min}`,
    max === undefined ? "" : ` <= ${max}`,
  ];
  return parts.filter(Boolean).join(" and");
}

function quoteAll(choices: readonly string[]): string {
  return choices.map((choice) => JSON.stringify(choice)).join(", ");
}

/** Renders a raw value for a message: strings and lists as JSON, numbers and the like as text. */
export function show(value: unknown): string {
  return typeof value === "string" || (typeof value === "object" && value !== null)
    ? JSON.stringify(value)
    : String(value);
}
