/** The VFI JSON Schema (schemas/vfi.schema.json) enforced with ajv, its errors turned into one readable line. */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { VfiError } from '../errors.js';
import type { JsonValue } from '../core/canonical.js';
import { checkComponents, type Vfi } from '../core/vfi.js';
import { nameProblem } from '../core/names.js';

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(new URL('../../schemas/vfi.schema.json', import.meta.url), 'utf8'));
    compiled = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
  }
  return compiled;
}

/** Check a parsed JSON value against the schema and the address grammars; return it as a Vfi. */
export function validateVfi(value: JsonValue): Vfi {
  const validate = validator();
  if (!validate(value)) throw schemaError(mostTelling(validate.errors ?? []));
  return checkComponents(value as unknown as Vfi);
}

/** A typo'd key also makes a required field missing: name the typo, which is the cause. */
function mostTelling(errors: ErrorObject[]): ErrorObject | undefined {
  return errors.find((e) => e.keyword === 'additionalProperties') ?? errors[0];
}

function schemaError(e: ErrorObject | undefined): VfiError {
  if (!e) return new VfiError('SCHEMA', 'does not match the VFI schema');
  const path = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const [component, field] = path;
  const where = component === undefined ? '' : `component ${JSON.stringify(component)}: `;
  const data = { component, field, keyword: e.keyword };
  const fail = (message: string) => new VfiError('SCHEMA', where + message, data);
  switch (e.keyword) {
    case 'additionalProperties':
      return fail(`unknown field ${JSON.stringify(e.params.additionalProperty)} (extension fields must start with "x-")`);
    case 'required':
      return fail(`missing field ${JSON.stringify(e.params.missingProperty)}`);
    case 'enum':
      return fail(`"${field}" must be one of ${(e.params.allowedValues as string[]).join(', ')}`);
    case 'minLength':
      return fail(`"${field}" must not be empty`);
    case 'propertyNames':
    case 'pattern': {
      // ajv puts the offending key on the error itself for `pattern`, in params for `propertyNames`.
      const name = String((e as ErrorObject & { propertyName?: string }).propertyName ?? e.params.propertyName);
      return new VfiError('SCHEMA', `invalid component name ${JSON.stringify(name)}: ${nameProblem(name) ?? 'not a valid name'}`,
        { ...data, component: name });
    }
    case 'type':
      if (component === undefined) return fail('expected a JSON object mapping component names to components');
      if (field === undefined) return fail('expected an object with "type" and "address"');
      return fail(`"${field}" must be a ${e.params.type}`);
    default:
      return fail(`${field ? `"${field}" ` : ''}${e.message ?? 'does not match the VFI schema'}`);
  }
}
