// Compares the kit's zod schemas with the official OpenAPI specs: which spec properties are neither parsed
// nor knowingly left raw, and whether required/optional/nullable agree. Used by openapi.test.ts.
import type { z } from 'zod';

/** A property as far as coverage needs it: the component it points to (object or array of objects), its nullability and type. */
export interface SpecProperty {
  ref?: string;
  nullable: boolean;
  type?: string;
}

export interface SpecSchema {
  properties: Record<string, SpecProperty>;
  required: string[];
}

export type SchemaSource = (name: string) => SpecSchema;

// ---------- An OpenAPI document (the 2025-10 JSON, or the 1.4.3 YAML parsed by the `yaml` package; both have
// the same shape): resolve $ref chains through allOf / anyOf / items

type JsonSchema = {
  $ref?: string;
  allOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
};

const refName = (ref: string) => ref.replace('#/components/schemas/', '');

function describeJsonProperty(prop: JsonSchema, seen = 0): SpecProperty {
  if (seen > 10) throw new Error('$ref chain too deep');
  if (prop.$ref) return { ref: refName(prop.$ref), nullable: false };
  if (prop.allOf?.length === 1) return describeJsonProperty(prop.allOf[0]!, seen + 1);
  if (prop.anyOf) {
    const nonNull = prop.anyOf.filter((p) => p.type !== 'null');
    const inner = nonNull.length === 1 ? describeJsonProperty(nonNull[0]!, seen + 1) : { nullable: false };
    return { ...inner, nullable: nonNull.length < prop.anyOf.length || inner.nullable };
  }
  if (prop.type === 'array' && prop.items) {
    const items = describeJsonProperty(prop.items, seen + 1);
    const result: SpecProperty = { nullable: false, type: 'array' };
    if (items.ref) result.ref = items.ref;
    return result;
  }
  const result: SpecProperty = { nullable: false };
  if (prop.type) result.type = prop.type;
  return result;
}

export function specSource(spec: { components: { schemas: Record<string, JsonSchema> } }): SchemaSource {
  return (name) => {
    let schema = spec.components.schemas[name];
    for (let hops = 0; schema?.$ref && hops < 10; hops++)
      schema = spec.components.schemas[refName(schema.$ref)];
    if (!schema?.properties) throw new Error(`spec has no object schema ${name}`);
    const properties: Record<string, SpecProperty> = {};
    for (const [key, prop] of Object.entries(schema.properties)) properties[key] = describeJsonProperty(prop);
    return { properties, required: schema.required ?? [] };
  };
}

// ---------- zod introspection

type AnyZod = z.ZodType;

interface Def {
  type: string;
  innerType?: AnyZod;
  element?: AnyZod;
  in?: AnyZod;
  shape?: Record<string, AnyZod>;
}

const defOf = (schema: AnyZod) => (schema as unknown as { def: Def }).def;

/** The object inside optional/nullable/array wrappers, or undefined for scalars. */
export function objectShape(schema: AnyZod): Record<string, AnyZod> | undefined {
  let current = schema;
  for (let depth = 0; depth < 10; depth++) {
    const def = defOf(current);
    if (def.type === 'object') return def.shape;
    if ((def.type === 'optional' || def.type === 'nullable') && def.innerType) current = def.innerType;
    else if (def.type === 'array' && def.element) current = def.element;
    else if (def.type === 'pipe' && def.in)
      current = def.in; // a transform: its input is what the API sends
    else return undefined;
  }
  return undefined;
}

export interface CoverageOptions {
  /** '<SpecSchema>.<property>' keys kept in the raw archive only. */
  rawOnly: Record<string, string>;
  /** Check required/optional against the spec's required list (only for the spec the schemas follow). */
  checkRequired: boolean;
  /** '<SpecSchema>.<property>' keys the kit requires although the spec does not. */
  stricterThanSpec?: Record<string, string>;
}

export interface CoverageReport {
  /** Spec properties neither parsed nor listed as raw-only. */
  missing: string[];
  /** Disagreements on required / nullable / type. */
  mismatches: string[];
  /** Every '<SpecSchema>.<property>' visited, to find stale raw-only entries. */
  checked: string[];
}

/** Walks a spec schema and the zod schema side by side, recursing into referenced object components. */
export function coverage(
  source: SchemaSource,
  specName: string,
  zodSchema: AnyZod,
  options: CoverageOptions,
  report: CoverageReport = { missing: [], mismatches: [], checked: [] },
): CoverageReport {
  const spec = source(specName);
  const shape = objectShape(zodSchema);
  if (!shape) throw new Error(`zod schema for ${specName} is not an object`);
  for (const [name, prop] of Object.entries(spec.properties)) {
    const key = `${specName}.${name}`;
    report.checked.push(key);
    if (key in options.rawOnly) continue;
    const field = shape[name];
    if (!field) {
      report.missing.push(key);
      continue;
    }
    const specRequired = spec.required.includes(name) && !prop.nullable;
    const acceptsUndefined = field.safeParse(undefined).success;
    if (options.checkRequired) {
      if (specRequired && acceptsUndefined)
        report.mismatches.push(`${key} is required by the spec but optional`);
      if (!spec.required.includes(name) && !acceptsUndefined && !(key in (options.stricterThanSpec ?? {}))) {
        report.mismatches.push(`${key} is optional in the spec but required`);
      }
      if (!spec.required.includes(name) && !field.safeParse(null).success) {
        report.mismatches.push(`${key} is optional in the spec but not nullable`);
      }
    }
    if (prop.nullable && !field.safeParse(null).success)
      report.mismatches.push(`${key} may be null but is not nullable`);
    const sample = { string: 'x', boolean: true, integer: 1 }[prop.type ?? ''];
    if (sample !== undefined && !field.safeParse(sample).success) {
      report.mismatches.push(`${key} is ${prop.type} in the spec but rejects ${JSON.stringify(sample)}`);
    }
    if (prop.ref) {
      const nested = source(prop.ref);
      if (Object.keys(nested.properties).length > 0) {
        if (!objectShape(field))
          report.mismatches.push(`${key} refers to ${prop.ref} but is not parsed as an object`);
        else coverage(source, prop.ref, field, options, report);
      }
    }
  }
  return report;
}
