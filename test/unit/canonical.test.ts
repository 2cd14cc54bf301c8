import { describe, expect, it } from 'vitest';
import { canonicalize } from 'json-canonicalize';
import { canonicalText, type JsonValue } from '../../src/core/canonical.js';
import { decimalValue, firstInvalidUtf8, MAX_DEPTH, parseIJson } from '../../src/core/ijson.js';
import { blobId } from '../../src/core/gitObject.js';

/** Strip the layout whitespace (outside strings) to get RFC 8785's compact form back. */
function compact(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i];
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
      out += ch;
    } else if (ch !== ' ' && ch !== '\n') out += ch;
  }
  return out;
}

describe('canonicalText', () => {
  const cases: [string, JsonValue, string][] = [
    ['sorted keys, 2-space indent, trailing newline', { b: 1, a: { d: 'x', c: [] } }, '{\n  "a": {\n    "c": [],\n    "d": "x"\n  },\n  "b": 1\n}\n'],
    ['empty object', {}, '{}\n'],
    ['arrays keep order', { a: [3, 1, { z: null, y: true }] }, '{\n  "a": [\n    3,\n    1,\n    {\n      "y": true,\n      "z": null\n    }\n  ]\n}\n'],
    // Integer-like keys: JS enumerates them numerically; RFC 8785 sorts them as strings.
    ['integer-like keys sort as strings', { '10': 1, '9': 2, '1': 3 }, '{\n  "1": 3,\n  "10": 1,\n  "9": 2\n}\n'],
    ['numbers as ECMAScript writes them', { n: [1e21, 0.000001, 1e-7, -0, 100, 1.5] }, '{\n  "n": [\n    1e+21,\n    0.000001,\n    1e-7,\n    0,\n    100,\n    1.5\n  ]\n}\n'],
    ['escapes as RFC 8785', { s: '\u0000\u001f"\\/\u2028é😀' }, '{\n  "s": "\\u0000\\u001f\\"\\\\/\u2028é😀"\n}\n'],
  ];
  it.each(cases)('%s', (_name, value, expected) => {
    expect(canonicalText(value)).toBe(expected);
  });

  // RFC 8785 §3.2.3 example: keys sorted by UTF-16 code units, not code points.
  it('sorts by UTF-16 code units (RFC 8785 §3.2.3)', () => {
    const value = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    const keys = Object.keys(JSON.parse(canonicalText(value)) as object);
    const order = [...canonicalText(value).matchAll(/"(.+?)": "/g)].map((m) => m[1]);
    expect(order).toEqual(['\\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
    expect(keys).toHaveLength(7);
  });

  it.each([
    { b: [1, { y: 'é', x: 2.5 }], a: 'x' },
    { '\ud83d\ude00': 1, '\ufb33': 2, z: { '10': null, '2': false } },
    { nested: { deeper: { deepest: [[], {}, [1e-7, 123456789012345680000]] } } },
  ] as JsonValue[])('agrees with an RFC 8785 implementation once whitespace is removed (%#)', (value) => {
    expect(compact(canonicalText(value))).toBe(canonicalize(value));
  });

  it('is a fixed point: parsing canonical text and writing it again gives the same bytes', () => {
    const text = canonicalText({ b: { d: [1, 'two'], c: null }, a: true });
    expect(canonicalText(parseIJson(text))).toBe(text);
  });

  it('gives the same id whatever the input key order', () => {
    const a = parseIJson('{"nsq":{"type":"dockerImage","address":"nsqio/nsq:v0.3.8"},"etcd":{"address":"quay.io/coreos/etcd:v3","type":"dockerImage"}}');
    const b = parseIJson('{ "etcd": { "type": "dockerImage", "address": "quay.io/coreos/etcd:v3" },\n "nsq": {"address":"nsqio/nsq:v0.3.8","type":"dockerImage"} }');
    expect(blobId(Buffer.from(canonicalText(a)))).toBe(blobId(Buffer.from(canonicalText(b))));
  });
});

describe('parseIJson', () => {
  const refused: [string, string | Uint8Array][] = [
    ['duplicate keys', '{"a":1,"a":2}'],
    ['nested duplicate keys', '{"a":{"type":"x","type":"y"}}'],
    ['trailing comma', '{"a":1,}'],
    ['comments', '{"a":1} // no'],
    ['single quotes', "{'a':1}"],
    ['empty input', ''],
    ['only white space', '  \n '],
    ['lone surrogate escape', '{"a":"\\ud800"}'],
    ['invalid UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
    ['binary', new Uint8Array([0x7b, 0x00, 0x7d])],
    ['two documents', '{} {}'],
    ['NaN', '{"a":NaN}'],
  ];
  it.each(refused)('refuses %s', (_name, input) => {
    expect(() => parseIJson(input)).toThrowError(expect.objectContaining({ code: 'INVALID_JSON' }));
  });

  it('names line and column of a duplicate key', () => {
    expect(() => parseIJson('{\n  "a": 1,\n  "a": 2\n}')).toThrow(/duplicate key "a" at line 3/);
  });

  it('keeps "__proto__" as data, not as a prototype', () => {
    const v = parseIJson('{"__proto__":{"x":1}}') as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
  });

  it('accepts a UTF-8 byte order mark', () => {
    expect(parseIJson(Buffer.from('\ufeff{"a":1}'))).toEqual({ a: 1 });
  });
});

describe('parseIJson: control characters (RFC 8259 §7)', () => {
  const doc = (s: string) => `{"a":{"type":"dockerImage","address":"x:1","x-s":"${s}"}}`;
  it.each([
    ['U+0001', doc('a\u0001b'), 1, 52],
    ['U+0000 in a string given as text', doc('a\u0000b'), 1, 52],
    ['a tab', doc('a\tb'), 1, 52],
    ['a newline', doc('a\nb'), 1, 52],
    ['a carriage return', doc('\r'), 1, 51],
    ['U+001F', doc('\u001f'), 1, 51],
    ['a control character in a key', '{\n  "a\u0002": 1}', 2, 5],
    ['on a later line', '{\n  "a": {\n    "x-s": "ok",\n    "x-t": "\u0007"\n  }\n}', 4, 13],
  ])('refuses %s, naming line and column', (_name, text, line, column) => {
    expect(() => parseIJson(text)).toThrowError(expect.objectContaining({ code: 'INVALID_JSON' }));
    expect(() => parseIJson(text)).toThrow(new RegExp(`^not JSON at line ${line}, column ${column}: unescaped control character U\\+00`));
  });

  it.each([
    ['escaped forms', '{"s":"\\u0001\\t\\n\\r\\b\\f\\u001f\\u0000"}', '\u0001\t\n\r\b\f\u001f\u0000'],
    ['DEL and C1 controls, which RFC 8259 allows raw', '{"s":"\u007f\u0085"}', '\u007f\u0085'],
    ['white space between tokens', '{\t"s"\r\n:\n"x"}', 'x'],
  ])('accepts %s', (_name, text, value) => {
    expect(parseIJson(text)).toEqual({ s: value });
  });
});

describe('parseIJson: numbers are IEEE doubles, never silently rounded (RFC 7493 §2.2)', () => {
  it.each([
    ['0.1', 0.1, '0.1'],
    ['1.0', 1, '1'],
    ['1e21', 1e21, '1e+21'],
    ['-0', 0, '0'],
    ['0.000001', 0.000001, '0.000001'],
    ['9007199254740992', 9007199254740992, '9007199254740992'],
    ['123456789012345680000', 123456789012345680000, '123456789012345680000'],
    ['5e-324', 5e-324, '5e-324'],
    ['1.7976931348623157e308', 1.7976931348623157e308, '1.7976931348623157e+308'],
    ['100E-2', 1, '1'],
    ['-12.50e+1', -125, '-125'],
  ])('accepts %s, which comes back as the same number', (literal, value, canonical) => {
    const parsed = parseIJson(`{"n":${literal}}`) as { n: number };
    expect(Object.is(parsed.n, value) || (value === 0 && parsed.n === 0)).toBe(true);
    expect(canonicalText(parsed)).toBe(`{\n  "n": ${canonical}\n}\n`);
  });

  it.each([
    ['1e400', /out of range/],
    ['-1e400', /out of range/],
    ['1e-400', /would be stored as 0/],
    ['9007199254740993', /would be stored as 9007199254740992/],
    ['123456789012345678901234567890', /would be stored as 1\.2345678901234568e\+29/],
    ['0.1000000000000000055511151231257827', /would be stored as 0\.1\b/],
    ['2.00000000000000000000000001', /would be stored as 2\b/],
  ])('refuses %s, naming where it is and suggesting a string', (literal, why) => {
    const text = `{\n  "a": {"x-n": [1, ${literal}]}\n}`;
    expect(() => parseIJson(text)).toThrowError(expect.objectContaining({ code: 'INVALID_JSON', data: expect.objectContaining({ path: ['a', 'x-n', 1], literal }) }));
    expect(() => parseIJson(text)).toThrow(why);
    expect(() => parseIJson(text)).toThrow(/^\/a\/x-n\/1: number .* at line 2, column 20 .*quote it as a string/);
  });

  it.each([
    ['0', '0'], ['-0', '0'], ['0.000e5', '0'], ['1.0', '1e0'], ['10', '1e1'], ['1e1', '1e1'], ['0.10', '1e-1'],
    ['-1.25E+2', '-125e0'], ['1e-400', '1e-400'], ['000', '0'],
  ])('decimalValue(%s) = %s', (literal, value) => {
    expect(decimalValue(literal)).toBe(value);
  });
});

describe('parseIJson: nesting depth', () => {
  const nested = (depth: number) => `{"a":{"type":"dockerImage","address":"x:1","x-d":${'['.repeat(depth - 2)}${']'.repeat(depth - 2)}}}`;
  it(`accepts ${MAX_DEPTH} levels`, () => {
    expect(() => parseIJson(nested(MAX_DEPTH))).not.toThrow();
  });
  it.each([MAX_DEPTH + 1, 3000, 50000])('refuses %i levels with INVALID_JSON, not a stack overflow', (depth) => {
    expect(() => parseIJson(nested(depth))).toThrowError(expect.objectContaining({ code: 'INVALID_JSON', data: { maxDepth: MAX_DEPTH } }));
    expect(() => parseIJson(nested(depth))).toThrow(new RegExp(`^too deeply nested at line 1, column ${49 + MAX_DEPTH - 1}: more than ${MAX_DEPTH} levels`));
  });
  it('does not count brackets inside strings, escaped quotes included', () => {
    const v = parseIJson(`{"s":"${'['.repeat(500)}\\"${'{'.repeat(500)}"}`) as { s: string };
    expect(v.s).toHaveLength(1001);
  });
  it('writes canonical bytes of the deepest accepted document', () => {
    const v = parseIJson(nested(MAX_DEPTH));
    expect(canonicalText(parseIJson(canonicalText(v)))).toBe(canonicalText(v));
  });
});

describe('parseIJson: where invalid UTF-8 is', () => {
  const strict = new TextDecoder('utf-8', { fatal: true });
  const decodes = (b: Uint8Array) => {
    try {
      strict.decode(b);
      return true;
    } catch {
      return false;
    }
  };

  it.each([
    ['Latin-1 é', [0x7b, 0x22, 0xe9, 0x22], 2],
    ['overlong "/"', [0x41, 0xc0, 0xaf], 1],
    ['a surrogate (ED A0 80)', [0xed, 0xa0, 0x80], 0],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['a lone continuation byte', [0x61, 0x62, 0x80], 2],
    ['a sequence cut short at the end', [0x61, 0xe2, 0x82], 1],
    ['well-formed € and 😀', [0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80], 7],
  ])('%s: first bad byte at %j', (_, bytes, at) => {
    expect(firstInvalidUtf8(Uint8Array.from(bytes))).toBe(at);
  });

  it('agrees with a strict decoder on random bytes: all before the offset decodes, the offset does not', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let n = 0; n < 3000; n++) {
      const bytes = Uint8Array.from({ length: 1 + (n % 9) }, () => (n % 3 === 0 ? rand() : 0x80 | (rand() & 0x7f) | (rand() & 0x40 ? 0x40 : 0)));
      const at = firstInvalidUtf8(bytes);
      expect(decodes(bytes)).toBe(at === bytes.length);
      expect(decodes(bytes.subarray(0, at))).toBe(true);
    }
  });

  it('names line and column in the error', () => {
    const input = Buffer.concat([Buffer.from('{\n  "a": "'), Buffer.from([0xe9]), Buffer.from('"\n}')]);
    expect(() => parseIJson(input)).toThrow(/invalid UTF-8 at line 2, column 9 \(byte 11: 0xe9\)/);
  });
});
