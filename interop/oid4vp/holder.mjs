// An independent OpenID4VP 1.0 holder for Cairn's interop tests
// (interop/oid4vp_holder_test.go): @openid4vc/openid4vp's client side
// parses the openid4vp:// URI, fetches and verifies the signed request
// object (decentralized_identifier did:jwk client id), builds and submits
// the authorization response (direct_post, or direct_post.jwt encrypted
// with the `jose` package through the library's encryptJwe callback);
// dcql (dcql-ts) evaluates the DCQL query against the holder's credential;
// sd-jwt-js makes the SD-JWT+KB presentation (KB aud = the full client id,
// nonce, sd_hash).
//
// One run answers one request. Input on stdin:
//   {uri, credential, holder_jwk (private), tamper?, extra_claims?,
//    refuse?, replay?, refetch?}
// tamper: "" | "kb_aud_without_prefix" | "wrong_nonce" | "disclosure" |
//   "issuer_signature" | "other_query_id" | "sd_hash"
// Output on stdout: {client_id, nonce, response_mode, query_ids, prefix,
//   satisfied, disclosed, submits:[{status, body}], refetch?:{status, body}}
//   or {error, detail}.

import { createHash, sign as nodeSign } from 'node:crypto'
import { Openid4vpClient } from '@openid4vc/openid4vp'
import { setGlobalConfig } from '@openid4vc/utils'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import { DcqlQuery } from 'dcql'
import { CompactEncrypt, importJWK } from 'jose'

// Cairn's verifier runs on http://127.0.0.1 in tests (its dev mode).
setGlobalConfig({ allowInsecureUrls: true })

const b64u = (b) => Buffer.from(b).toString('base64url')
const sha256 = (b) => createHash('sha256').update(b).digest()
const out = (v) => process.stdout.write(JSON.stringify(v))

function didJwk(didUrl) {
  const d = String(didUrl).split('#')[0]
  if (!d.startsWith('did:jwk:')) throw new Error('only did:jwk is resolved here: ' + d)
  return JSON.parse(Buffer.from(d.slice('did:jwk:'.length), 'base64url').toString('utf8'))
}

async function verifyES256(jwk, compact) {
  const [h, p, s] = compact.split('.')
  const key = await globalThis.crypto.subtle.importKey('jwk', { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
  return globalThis.crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, Buffer.from(s, 'base64url'), Buffer.from(h + '.' + p))
}

const callbacks = {
  fetch,
  hash: (data, alg) => sha256(data),
  verifyJwt: async (signer, { compact }) => {
    if (signer.method !== 'did') return { verified: false }
    const jwk = didJwk(signer.didUrl)
    return { verified: await verifyES256(jwk, compact), signerJwk: jwk }
  },
  // ECDH-ES (direct key agreement) to the verifier's key from
  // client_metadata, with the enc the library chose.
  encryptJwe: async (encryptor, data) => {
    if (encryptor.alg !== 'ECDH-ES') throw new Error('unsupported alg ' + encryptor.alg)
    const { publicJwk } = encryptor
    const key = await importJWK({ kty: publicJwk.kty, crv: publicJwk.crv, x: publicJwk.x, y: publicJwk.y }, 'ECDH-ES')
    const header = { alg: 'ECDH-ES', enc: encryptor.enc }
    if (publicJwk.kid) header.kid = publicJwk.kid
    const jwe = new CompactEncrypt(new TextEncoder().encode(data)).setProtectedHeader(header)
    if (encryptor.apu) jwe.setKeyManagementParameters({ apu: Buffer.from(encryptor.apu, 'base64url'), apv: encryptor.apv ? Buffer.from(encryptor.apv, 'base64url') : undefined })
    else if (encryptor.apv) jwe.setKeyManagementParameters({ apv: Buffer.from(encryptor.apv, 'base64url') })
    return { encryptionJwk: publicJwk, jwe: await jwe.encrypt(key) }
  },
}

async function main() {
  const chunks = []
  for await (const c of process.stdin) chunks.push(c)
  const input = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  const holderKey = input.holder_jwk
  const es256 = (data) => nodeSign('sha256', Buffer.from(data, 'utf8'), { key: holderKey, format: 'jwk', dsaEncoding: 'ieee-p1363' }).toString('base64url')
  const sdjwt = new SDJwtVcInstance({
    hasher: (data) => new Uint8Array(sha256(typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data))),
    hashAlg: 'sha-256', kbSignAlg: 'ES256', kbSigner: es256,
  })

  const client = new Openid4vpClient({ callbacks })
  const parsed = client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: input.uri })
  const resolved = await client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params })
  const req = resolved.authorizationRequestPayload
  if (!resolved.jar) throw new Error('the request was not a signed request object')
  const result = {
    client_id: req.client_id, nonce: req.nonce, response_mode: req.response_mode,
    prefix: resolved.client.prefix ?? resolved.client.scheme, query_ids: resolved.dcql.query.credentials.map((c) => c.id), submits: [],
  }
  if (input.refetch) {
    // The same request_uri once more (a QR scanned twice).
    const r = await fetch(parsed.params.request_uri, { headers: { accept: 'application/oauth-authz-req+jwt' } })
    result.refetch = { status: r.status, body: (await r.text()).slice(0, 2000) }
  }

  let responsePayload
  if (input.refuse) {
    responsePayload = { error: 'access_denied' }
  } else {
    // DCQL with dcql-ts over the holder's one credential.
    const claims = await sdjwt.getClaims(input.credential)
    const query = DcqlQuery.parse(resolved.dcql.query)
    DcqlQuery.validate(query)
    const dq = DcqlQuery.query(query, [{ credential_format: 'dc+sd-jwt', vct: claims.vct, claims, cryptographic_holder_binding: true }])
    result.satisfied = dq.can_be_satisfied
    if (!dq.can_be_satisfied) throw new Error('the credential does not satisfy the query')
    const vpToken = {}
    for (const [qid, match] of Object.entries(dq.credential_matches)) {
      if (!match.success) continue
      const cm = match.valid_credentials[0]
      const chosen = cm.claims.valid_claim_sets?.[0]?.output ?? Object.assign({}, ...(cm.claims.valid_claims ?? []).map((c) => c.output))
      const frame = toFrame(chosen)
      for (const extra of input.extra_claims ?? []) frame[extra] = true
      result.disclosed = Object.keys(frame)
      const aud = input.tamper === 'kb_aud_without_prefix' ? req.client_id.replace(/^decentralized_identifier:/, '') : req.client_id
      const nonce = input.tamper === 'wrong_nonce' ? req.nonce + 'x' : req.nonce
      let pres = await sdjwt.present(input.credential, frame, { kb: { payload: { iat: Math.floor(Date.now() / 1000), aud, nonce } } })
      pres = tamper(pres, input.tamper, req, es256)
      vpToken[input.tamper === 'other_query_id' ? qid + '_other' : qid] = [pres]
    }
    responsePayload = { vp_token: vpToken }
  }
  const created = await client.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: req,
    authorizationResponsePayload: responsePayload,
    jarm: req.response_mode === 'direct_post.jwt'
      ? { encryption: {}, serverMetadata: { authorization_signing_alg_values_supported: [], authorization_encryption_alg_values_supported: ['ECDH-ES'], authorization_encryption_enc_values_supported: ['A128GCM', 'A256GCM'] } }
      : undefined,
  })
  for (let i = 0; i < (input.replay ? 2 : 1); i++) {
    const submitted = await client.submitOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: req, authorizationResponsePayload: created.authorizationResponsePayload, jarm: created.jarm,
    })
    result.submits.push({ status: submitted.response.status, body: (await submitted.response.text()).slice(0, 2000) })
  }
  return result
}

// toFrame turns dcql's matched claims output into an sd-jwt-js
// presentation frame (objects recursed, leaves true).
function toFrame(v) {
  const f = {}
  for (const [k, e] of Object.entries(v)) f[k] = e && typeof e === 'object' && !Array.isArray(e) ? toFrame(e) : true
  return f
}

// tamper changes a finished SD-JWT+KB and, where the change is before the
// KB-JWT, re-signs a KB-JWT over it (so only the intended check fails).
function tamper(pres, how, req, es256) {
  if (!how || how === 'kb_aud_without_prefix' || how === 'wrong_nonce' || how === 'other_query_id') return pres
  const parts = pres.split('~')
  const kb = parts.pop()
  let body = parts
  if (how === 'disclosure') {
    const d = JSON.parse(Buffer.from(body[1], 'base64url').toString('utf8'))
    d[d.length - 1] = typeof d[d.length - 1] === 'string' ? d[d.length - 1] + 'X' : 'X'
    body[1] = b64u(JSON.stringify(d))
  } else if (how === 'issuer_signature') {
    const jws = body[0].split('.')
    const sig = Buffer.from(jws[2], 'base64url')
    sig[5] ^= 0x01
    jws[2] = b64u(sig)
    body[0] = jws.join('.')
  } else if (how !== 'sd_hash') {
    throw new Error('unknown tamper ' + how)
  }
  const withoutKb = body.join('~') + '~'
  const kbPayload = JSON.parse(Buffer.from(kb.split('.')[1], 'base64url').toString('utf8'))
  kbPayload.sd_hash = how === 'sd_hash' ? b64u(sha256('other')) : b64u(sha256(withoutKb))
  const input = b64u(JSON.stringify({ alg: 'ES256', typ: 'kb+jwt' })) + '.' + b64u(JSON.stringify(kbPayload))
  return withoutKb + input + '.' + es256(input)
}

main().then(out, (e) => out({ error: String(e?.message ?? e).slice(0, 2000), detail: e?.errorResponse ?? e?.cause?.message ?? null }))
