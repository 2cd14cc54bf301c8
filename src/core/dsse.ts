/**
 * DSSE envelopes (https://github.com/secure-systems-lab/dsse, envelope.md and protocol.md v1.0.0)
 * around in-toto Statements, signed with ed25519 or ECDSA P-256. Pure computation: keys come in as
 * PEM text, bytes go out; reading key files is the caller's business.
 */
import * as crypto from 'node:crypto';
import { VfiError } from '../errors.js';
import { canonicalText, type JsonValue } from './canonical.js';

export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN in ASCII decimal bytes. */
export function pae(payloadType: string, body: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
}

export interface EnvelopeSignature {
  keyid: string;
  /** base64 */
  sig: string;
}

export interface Envelope {
  payloadType: string;
  /** base64 of the payload bytes */
  payload: string;
  signatures: EnvelopeSignature[];
}

/** A private key that can sign, with the keyid of its public half. */
export interface SigningKey {
  key: crypto.KeyObject;
  keyid: string;
  algorithm: 'ed25519' | 'ecdsa-p256';
}

/** hex sha256 of the public key's SPKI DER: the keyid DSSE carries. */
export function keyIdOf(publicKey: crypto.KeyObject): string {
  return crypto.createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

function algorithmOf(key: crypto.KeyObject, source: string): SigningKey['algorithm'] {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256';
  const what = key.asymmetricKeyType === 'ec' ? `an EC key on ${key.asymmetricKeyDetails?.namedCurve ?? 'an unknown curve'}` : `a ${key.asymmetricKeyType ?? 'symmetric'} key`;
  throw new VfiError('INVALID_INPUT', `${source}: ${what}; vfi signs with ed25519 or ECDSA P-256 keys`, { source }, 'vfi key generate makes an ed25519 pair');
}

/** A private key from PEM text; a public key, an encrypted key or anything else is refused in one line. */
export function parsePrivateKey(pem: string, source: string): SigningKey {
  if (/-----BEGIN (RSA |EC )?PUBLIC KEY-----/.test(pem)) {
    throw new VfiError('INVALID_INPUT', `${source} is a public key; signing needs the private key`, { source }, 'give the private key file: vfi key generate writes vfi.key beside vfi.pub');
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    throw new VfiError('INVALID_INPUT', `${source} is encrypted; vfi needs an unencrypted private key`, { source }, 'decrypt it with openssl pkey, or keep it in a secret store and pass a temporary file');
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new VfiError('INVALID_INPUT', `${source} is not a PEM private key`, { source }, 'vfi key generate makes one');
  }
  const algorithm = algorithmOf(key, source);
  return { key, keyid: keyIdOf(crypto.createPublicKey(key)), algorithm };
}

/** A public key from PEM text (SPKI); a private key given here is refused, as it would be shared. */
export function parsePublicKey(pem: string, source: string): { key: crypto.KeyObject; keyid: string; pem: string } {
  if (/PRIVATE KEY-----/.test(pem)) {
    throw new VfiError('INVALID_INPUT', `${source} is a private key; trust takes the public key`, { source }, 'give the .pub file: openssl pkey -pubout makes one from a private key');
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new VfiError('INVALID_INPUT', `${source} is not a PEM public key`, { source });
  }
  algorithmOf(key, source);
  return { key, keyid: keyIdOf(key), pem: key.export({ type: 'spki', format: 'pem' }).toString() };
}

/** A new ed25519 pair: PKCS#8 private PEM and SPKI public PEM. */
export function generateKeyPair(): { privatePem: string; publicPem: string; keyid: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyid: keyIdOf(publicKey),
  };
}

/** ed25519 signs the message itself; ECDSA signs its sha256, DER-encoded (as cosign writes it). */
function signBytes(key: SigningKey, message: Buffer): Buffer {
  return crypto.sign(key.algorithm === 'ed25519' ? null : 'sha256', message, { key: key.key, dsaEncoding: 'der' });
}

/** Does `sig` sign `message` under `publicKey`? Never throws. */
export function verifyBytes(publicKey: crypto.KeyObject, message: Buffer, sig: Buffer): boolean {
  try {
    const digest = publicKey.asymmetricKeyType === 'ed25519' ? null : 'sha256';
    return crypto.verify(digest, message, { key: publicKey, dsaEncoding: 'der' }, sig);
  } catch {
    return false;
  }
}

/** The envelope signing `payload` (the Statement's bytes), in the canonical bytes it is stored as. */
export function signEnvelope(payload: Buffer, key: SigningKey, payloadType = INTOTO_PAYLOAD_TYPE): Buffer {
  const sig = signBytes(key, pae(payloadType, payload)).toString('base64');
  return Buffer.from(canonicalText({ payload: payload.toString('base64'), payloadType, signatures: [{ keyid: key.keyid, sig }] }), 'utf8');
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Is this JSON value shaped like a DSSE envelope (whatever its validity)? */
export function looksLikeEnvelope(v: JsonValue): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v.payloadType === 'string' && 'signatures' in v;
}

/** Read an envelope's shape; throws an Error saying what is wrong. */
export function parseEnvelope(v: JsonValue): { envelope: Envelope; payload: Buffer } {
  if (!looksLikeEnvelope(v)) throw new Error('not a DSSE envelope');
  const o = v as { [k: string]: JsonValue };
  for (const k of Object.keys(o)) if (!['payload', 'payloadType', 'signatures'].includes(k)) throw new Error(`unexpected key ${JSON.stringify(k)} in the envelope`);
  if (o.payloadType !== INTOTO_PAYLOAD_TYPE) throw new Error(`payloadType is not ${INTOTO_PAYLOAD_TYPE}`);
  if (typeof o.payload !== 'string' || !BASE64.test(o.payload) || o.payload.length % 4 !== 0) throw new Error('payload is not base64');
  if (!Array.isArray(o.signatures) || o.signatures.length !== 1) throw new Error('an envelope must carry exactly one signature');
  const s = o.signatures[0];
  if (s === null || typeof s !== 'object' || Array.isArray(s) || typeof s.keyid !== 'string' || !/^[0-9a-f]{64}$/.test(s.keyid)
    || typeof s.sig !== 'string' || !BASE64.test(s.sig) || Object.keys(s).length !== 2) {
    throw new Error('signatures[0] must be {"keyid": <64 hex>, "sig": <base64>}');
  }
  return {
    envelope: { payloadType: o.payloadType, payload: o.payload, signatures: [{ keyid: s.keyid, sig: s.sig }] },
    payload: Buffer.from(o.payload, 'base64'),
  };
}

/** Does the envelope's one signature verify under `publicKey`? */
export function envelopeVerifies(envelope: Envelope, publicKey: crypto.KeyObject): boolean {
  const sig = envelope.signatures[0];
  if (!sig) return false;
  return verifyBytes(publicKey, pae(envelope.payloadType, Buffer.from(envelope.payload, 'base64')), Buffer.from(sig.sig, 'base64'));
}
