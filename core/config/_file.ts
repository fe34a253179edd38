import { isMap, isNode, isScalar, LineCounter, parseDocument } from "yaml";
import { ConfigError } from "./errors.ts";
import { type Layer, parseField } from "./_parse.ts";
import { settingField } from "./schema.ts";
import { unknownSettingError } from "./_suggest.ts";

/**
 * Reads a YAML config file: a mapping of setting names to values.
 *
 * @throws {ConfigError} when the file cannot be read, is not valid YAML, is not a mapping, names an unknown setting
 * or holds an invalid value
 */
export async function readConfigFile(path: string): Promise<Layer> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    const reason = cause instanceof Deno.errors.NotFound
      ? "no such file"
      : cause instanceof Error
      ? cause.message
      : String(cause);
    throw new ConfigError(`Cannot read config file ${path}: ${reason}`, { field: "", source: "file", cause });
  }
  return parseConfigText(text, path);
}

function parseConfigText(text: string, path: string): Layer {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const [error] = doc.errors;
  if (error) {
    const { line, col } = error.linePos?.[0] ?? { line: 0, col: 0 };
    const reason = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
    const message = `Invalid YAML in config file ${path} at line ${line}, column ${col}: ${reason}`;
    throw new ConfigError(message, { field: "", source: "file", cause: error });
  }
  const layer: Layer = new Map();
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return layer;
  if (!isMap(root)) {
    const message = `Invalid config file ${path}: the top level is not a mapping of setting names to values`;
    throw new ConfigError(message, { field: "", source: "file" });
  }
  for (const { key, value } of root.items) {
    const name = isScalar(key) ? String(key.value) : String(key);
    const line = isNode(key) && key.range ? lineCounter.linePos(key.range[0]).line : 0;
    const label = `file ${path} line ${line}`;
    const field = settingField(name);
    if (!field) throw unknownSettingError(name, "file", `in ${label}`);
    const origin = { source: "file", label } as const;
    layer.set(field.name, { value: parseField(field, isNode(value) ? value.toJS(doc) : value, origin), origin });
  }
  return layer;
}
