// Answers Cairn's verifier with an independent OpenID4VP 1.0 wallet
// (@openid4vc/openid4vp, pinned in package-lock.json): parse the
// openid4vp:// URI -> fetch the request object at request_uri -> verify it
// (decentralized_identifier client id, did:jwk key) -> hand the nonce,
// client id and DCQL query to the test, which makes the SD-JWT+KB
// presentations -> build the authorization response (direct_post, or
// direct_post.jwt encrypted here with ECDH-ES/A128GCM or A256GCM) -> submit
// it to response_uri.
// Protocol, one JSON object per line: stdin {"uri"}; stdout {"client_id",
// "nonce", "response_mode", "query_ids"} or {"error"}; stdin {"vp_token"};
// stdout {"status", "body"} or {"error"}.
import { webcrypto, createHash } from 'node:crypto'
import { createInterface } from 'node:readline'
import { Openid4vpClient } from '@openid4vc/openid4vp'
import { setGlobalConfig } from '@openid4vc/utils'
import { encryptJwe } from './jwe.mjs'

// The verifier runs on http://127.0.0.1 in tests (its --dev mode).
setGlobalConfig({ allowInsecureUrls: true })

const subtle = webcrypto.subtle
const b64u = (buf) => Buffer.from(buf).toString('base64url')
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
const readLine = async () => JSON.parse((await lines.next()).value)
const out = (v) => process.stdout.write(JSON.stringify(v) + '\n')

// did:jwk only: the key is in the DID.
function didJwk(didUrl) {
  const did = didUrl.split('#')[0]
  if (!did.startsWith('did:jwk:')) throw new Error('only did:jwk is resolved here: ' + did)
  return JSON.parse(Buffer.from(did.slice('did:jwk:'.length), 'base64url').toString())
}

async function verifyES256(jwk, compact) {
  const [h, p, s] = compact.split('.')
  const key = await subtle.importKey('jwk', { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
  return subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, Buffer.from(s, 'base64url'), Buffer.from(h + '.' + p))
}

const callbacks = {
  fetch,
  hash: (data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
  verifyJwt: async (signer, { compact }) => {
    if (signer.method !== 'did') return { verified: false }
    const jwk = didJwk(signer.didUrl)
    return { verified: await verifyES256(jwk, compact), signerJwk: jwk }
  },
  encryptJwe,
}

try {
  const { uri } = await readLine()
  const client = new Openid4vpClient({ callbacks })
  const parsed = client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: uri })
  const resolved = await client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params })
  const req = resolved.authorizationRequestPayload
  if (!resolved.jar) throw new Error('the request was not a signed request object')
  out({ client_id: req.client_id, nonce: req.nonce, response_mode: req.response_mode, query_ids: resolved.dcql.query.credentials.map((c) => c.id), prefix: resolved.client.prefix ?? resolved.client.scheme })
  const { vp_token } = await readLine()
  const created = await client.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: req,
    authorizationResponsePayload: { vp_token },
    jarm: req.response_mode === 'direct_post.jwt' ? { encryption: { nonce: req.nonce }, serverMetadata: { authorization_signing_alg_values_supported: [], authorization_encryption_alg_values_supported: ['ECDH-ES'], authorization_encryption_enc_values_supported: ['A128GCM', 'A256GCM'] } } : undefined,
  })
  const submitted = await client.submitOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: req, authorizationResponsePayload: created.authorizationResponsePayload, jarm: created.jarm,
  })
  out({ status: submitted.response.status, body: await submitted.response.text() })
} catch (e) {
  out({ error: String(e?.message ?? e).slice(0, 2000), detail: e?.errorResponse ?? e?.cause?.message ?? null })
}
process.exit(0)
