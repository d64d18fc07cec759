// A HAIP 1.0 wallet answering Cairn's verifier, built from
// @openid4vc/openid4vp (pinned in package-lock.json): parse the
// openid4vp:// URI -> fetch the request object at request_uri -> the
// library checks the x509_hash client id against x5c[0] and calls
// verifyJwt, where this script validates the x5c chain itself (the library
// leaves chain validation to its caller) with node's crypto
// X509Certificate against the access-certificate anchor the test gives it:
// the anchor must not be inside x5c, the leaf must not be self-signed,
// every link must be issued and signed by the next, the last by the
// anchor, all valid now; then the ES256 signature with the leaf's key ->
// hand the nonce, client id and DCQL query to the test -> encrypt the
// vp_token (direct_post.jwt only, ECDH-ES with the enc the verifier lists
// first) -> submit it to response_uri.
// Protocol, one JSON object per line: stdin {"uri", "anchor_pem"}; stdout
// {"client_id", "nonce", "response_mode", "query_ids", "enc"} or
// {"error"}; stdin {"vp_token"}; stdout {"status", "body"} or {"error"}.
import { X509Certificate, createHash, verify as verifySig } from 'node:crypto'
import { createInterface } from 'node:readline'
import { Openid4vpClient } from '@openid4vc/openid4vp'
import { setGlobalConfig } from '@openid4vc/utils'
import { encryptJwe } from './jwe.mjs'

// The verifier runs on http://127.0.0.1 in tests (its --dev mode).
setGlobalConfig({ allowInsecureUrls: true })

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
const readLine = async () => JSON.parse((await lines.next()).value)
const out = (v) => process.stdout.write(JSON.stringify(v) + '\n')

let anchor

const der = (b64) => new X509Certificate(Buffer.from(b64, 'base64'))
const selfSigned = (c) => c.subject === c.issuer && c.verify(c.publicKey)
const validNow = (c) => { const now = Date.now(); return Date.parse(c.validFrom) <= now && now <= Date.parse(c.validTo) }

// HAIP 1.0 §5 / §6.1.1: the chain the verifier signs under, checked here
// because @openid4vc/openid4vp only matches the client id to x5c[0].
function checkChain(x5c) {
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.length > 5) throw new Error('x5c must hold 1 to 5 certificates')
  const certs = x5c.map(der)
  for (const c of certs) {
    if (c.fingerprint256 === anchor.fingerprint256) throw new Error('the trust anchor is inside x5c')
  }
  const leaf = certs[0]
  if (selfSigned(leaf)) throw new Error('the leaf certificate is self-signed')
  if (leaf.ca) throw new Error('the leaf certificate is a CA')
  for (let i = 0; i < certs.length; i++) {
    const issuer = i + 1 < certs.length ? certs[i + 1] : anchor
    if (!certs[i].checkIssued(issuer) || !certs[i].verify(issuer.publicKey)) throw new Error(`certificate ${i} is not issued by ${i + 1 < certs.length ? 'the next one' : 'the anchor'}`)
    if (i + 1 < certs.length && !certs[i + 1].ca) throw new Error(`certificate ${i + 1} is not a CA`)
  }
  for (const c of [...certs, anchor]) {
    if (!validNow(c)) throw new Error('a certificate is outside its validity: ' + c.subject)
  }
  return leaf
}

const callbacks = {
  fetch,
  hash: (data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
  getX509CertificateMetadata: (b64) => {
    const san = der(b64).subjectAltName ?? ''
    const names = san.split(', ')
    return {
      sanDnsNames: names.filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4)),
      sanUriNames: names.filter((n) => n.startsWith('URI:')).map((n) => n.slice(4)),
    }
  },
  verifyJwt: async (signer, { compact }) => {
    if (signer.method !== 'x5c') return { verified: false }
    const leaf = checkChain(signer.x5c)
    const [h, p, s] = compact.split('.')
    if (JSON.parse(Buffer.from(h, 'base64url')).alg !== 'ES256') return { verified: false }
    const ok = verifySig('sha256', Buffer.from(h + '.' + p), { key: leaf.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))
    return { verified: ok, signerJwk: leaf.publicKey.export({ format: 'jwk' }) }
  },
  encryptJwe,
}

try {
  const { uri, anchor_pem } = await readLine()
  anchor = new X509Certificate(anchor_pem)
  const client = new Openid4vpClient({ callbacks })
  const parsed = client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: uri })
  const resolved = await client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params })
  const req = resolved.authorizationRequestPayload
  if (!resolved.jar) throw new Error('the request was not a signed request object')
  const prefix = resolved.client.prefix ?? resolved.client.scheme
  if (prefix !== 'x509_hash' && prefix !== 'x509_san_dns') throw new Error('HAIP: client id prefix ' + prefix)
  if (req.response_mode !== 'direct_post.jwt') throw new Error('HAIP: response_mode ' + req.response_mode)
  const encs = req.client_metadata?.encrypted_response_enc_values_supported ?? []
  out({ client_id: req.client_id, nonce: req.nonce, response_mode: req.response_mode, query_ids: resolved.dcql.query.credentials.map((c) => c.id), prefix, enc: encs[0] })
  const { vp_token } = await readLine()
  const created = await client.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: req,
    authorizationResponsePayload: { vp_token },
    jarm: { encryption: { nonce: req.nonce }, serverMetadata: { authorization_signing_alg_values_supported: [], authorization_encryption_alg_values_supported: ['ECDH-ES'], authorization_encryption_enc_values_supported: ['A128GCM', 'A256GCM'] } },
  })
  const submitted = await client.submitOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: req, authorizationResponsePayload: created.authorizationResponsePayload, jarm: created.jarm,
  })
  out({ status: submitted.response.status, body: await submitted.response.text() })
} catch (e) {
  out({ error: String(e?.message ?? e).slice(0, 2000), detail: e?.errorResponse ?? e?.cause?.message ?? null })
}
process.exit(0)
