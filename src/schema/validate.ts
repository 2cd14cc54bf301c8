/** The VFI JSON Schema (schemas/vfi.schema.json) enforced with ajv's generated validator, its errors turned into one readable line. */
import type { ErrorObject } from 'ajv';
import { VfiError } from '../errors.js';
import type { JsonValue } from '../core/canonical.js';
import { checkComponents, type Vfi } from '../core/vfi.js';
import { nameProblem } from '../core/names.js';
// ajv's own compilation of schemas/vfi.schema.json, written out as source by scripts/gen-validator.mjs:
// neither ajv nor a schema compile is paid at run time.
import { validate as validator } from './vfiSchema.generated.js';

/** Check a parsed JSON value against the schema and the address grammars; return it as a Vfi. */
export function validateVfi(value: JsonValue): Vfi {
  if (!validator(value)) throw schemaError(mostTelling((validator as { errors?: ErrorObject[] | null }).errors ?? []));
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
