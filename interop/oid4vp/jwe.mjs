// ECDH-ES (RFC 7518 §4.6) JWE encryption for direct_post.jwt answers,
// shared by wallet.mjs and haip-wallet.mjs: @openid4vc/openid4vp leaves
// the encryption to an encryptJwe callback.
import { webcrypto, createHash } from 'node:crypto'

const subtle = webcrypto.subtle
const b64u = (buf) => Buffer.from(buf).toString('base64url')

// ECDH-ES key agreement (RFC 7518 §4.6) with the Concat KDF, then AES-GCM.
export async function encryptJwe(encryptor, data) {
  const { publicJwk, enc } = encryptor
  const bits = { A128GCM: 128, A256GCM: 256 }[enc]
  if (!bits) throw new Error('unsupported enc ' + enc)
  const eph = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])
  const recipient = await subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y }, { name: 'ECDH', namedCurve: 'P-256' }, false, [])
  const z = Buffer.from(await subtle.deriveBits({ name: 'ECDH', public: recipient }, eph.privateKey, 256))
  const epk = await subtle.exportKey('jwk', eph.publicKey)
  const len32 = (b) => { const l = Buffer.alloc(4); l.writeUInt32BE(b.length); return Buffer.concat([l, b]) }
  const apu = encryptor.apu ? Buffer.from(encryptor.apu, 'base64url') : Buffer.alloc(0)
  const apv = encryptor.apv ? Buffer.from(encryptor.apv, 'base64url') : Buffer.alloc(0)
  const keyLen = Buffer.alloc(4); keyLen.writeUInt32BE(bits)
  const otherInfo = Buffer.concat([len32(Buffer.from(enc)), len32(apu), len32(apv), keyLen])
  const cek = createHash('sha256').update(Buffer.concat([Buffer.from([0, 0, 0, 1]), z, otherInfo])).digest().subarray(0, bits / 8)
  const header = { alg: 'ECDH-ES', enc, epk: { kty: 'EC', crv: 'P-256', x: epk.x, y: epk.y } }
  if (publicJwk.kid) header.kid = publicJwk.kid
  if (encryptor.apu) header.apu = encryptor.apu
  if (encryptor.apv) header.apv = encryptor.apv
  const protectedB64 = b64u(JSON.stringify(header))
  const iv = webcrypto.getRandomValues(new Uint8Array(12))
  const key = await subtle.importKey('raw', cek, 'AES-GCM', false, ['encrypt'])
  const ct = Buffer.from(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: Buffer.from(protectedB64), tagLength: 128 }, key, Buffer.from(data)))
  const jwe = [protectedB64, '', b64u(iv), b64u(ct.subarray(0, ct.length - 16)), b64u(ct.subarray(ct.length - 16))].join('.')
  return { encryptionJwk: publicJwk, jwe }
}
