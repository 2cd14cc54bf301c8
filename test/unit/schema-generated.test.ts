// The checked-in validator (src/schema/vfiSchema.generated.ts) is what ajv compiles from
// schemas/vfi.schema.json today: a schema change without `node scripts/gen-validator.mjs` fails here.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error a build script, plain JavaScript
import { generatedValidator, OUT } from '../../scripts/gen-validator.mjs';
import { validateVfi } from '../../src/schema/validate.js';

describe('generated VFI validator', () => {
  it('matches the schema', () => {
    expect(fs.readFileSync(OUT, 'utf8')).toBe(generatedValidator());
  });

  it('refuses as the schema does, naming the field', () => {
    expect(() => validateVfi({ app: { type: 'dockerImage', adress: 'x' } })).toThrow(/unknown field "adress"/);
    expect(() => validateVfi({ 'bad..name': { type: 'git', address: 'x' } })).toThrow(/invalid component name/);
    expect(() => validateVfi([])).toThrow(/expected a JSON object/);
  });
});
