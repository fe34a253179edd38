/** The value types a setting can have. */
export type FieldKind = "bool" | "int" | "float" | "string" | "string_list" | "host_port_list" | "enum";

/** Any parsed setting value. */
export type SettingValue = boolean | number | string | readonly string[];

/** What every field descriptor has. */
export interface FieldBase {
  /** Setting name, snake_case as the legacy Python nodes name it. */
  readonly name: string;
  /** One-line description for help output. */
  readonly description: string;
  /** Environment variables read besides the upper-case form of the name. */
  readonly env?: readonly string[];
}

/** A boolean setting. */
export interface BoolField extends FieldBase {
  /** Kind tag. */
  readonly kind: "bool";
  /** Value when no layer sets it. */
  readonly default: boolean;
}

/** An integer or floating-point setting with optional bounds. */
export interface NumberField extends FieldBase {
  /** Kind tag. */
  readonly kind: "int" | "float";
  /** Value when no layer sets it. */
  readonly default: number;
  /** Smallest allowed value (inclusive unless `exclusiveMin`). */
  readonly min?: number;
  /** Largest allowed value (inclusive). */
  readonly max?: number;
  /** Whether `min` itself is refused, e.g. for timeouts that must be > 0. */
  readonly exclusiveMin?: boolean;
}

/** A free-form string setting. */
export interface StringField extends FieldBase {
  /** Kind tag. */
  readonly kind: "string";
  /** Value when no layer sets it. */
  readonly default: string;
  /** Whether the empty string is refused. */
  readonly nonEmpty?: boolean;
  /** A format a non-empty value must have. */
  readonly format?: "host_port";
}

/** A string setting restricted to a set of choices. */
export interface EnumField extends FieldBase {
  /** Kind tag. */
  readonly kind: "enum";
  /** Value when no layer sets it. */
  readonly default: string;
  /** The accepted values. */
  readonly choices: readonly string[];
}

/** A list of strings (optionally restricted to choices) or of `host:port` entries. */
export interface ListField extends FieldBase {
  /** Kind tag. */
  readonly kind: "string_list" | "host_port_list";
  /** Value when no layer sets it. */
  readonly default: readonly string[];
  /** The accepted items, when restricted. */
  readonly choices?: readonly string[];
}

/** Descriptor of one setting: its name, kind, default, bounds and documentation. */
export type FieldSpec = BoolField | NumberField | StringField | EnumField | ListField;

/** Returns the environment variables read for a field: its upper-case name first, then its aliases. */
export function envNamesOf(field: FieldSpec): readonly string[] {
  return [...new Set([field.name.toUpperCase(), ...(field.env ?? [])])];
}
