// An independent OpenID4VP 1.0 verifier for Cairn's interop tests
// (interop/oid4vp_test.go), built on @openid4vc/openid4vp's verifier side
// (Openid4vpVerifier: signed request objects by request_uri, response
// parsing, direct_post.jwt decryption through a callback) and on sd-jwt-js
// (@sd-jwt/sd-jwt-vc) for the SD-JWT VC presentations, with explicit checks
// where either library is lax (see checkPresentation and README.md).
//
// It runs as a small HTTP server on 127.0.0.1 until its stdin closes or its
// lifetime (CAIRN_INTEROP_LIFETIME_MS, 120 s by default) ends. The first line
// on stdout is {"url","client_id","did","token"}. Routes:
//   POST /session        (control, header x-control: token)
//        {dcql_query, response_mode, trusted_issuers, state?, enc?, library_aud?}
//        -> {id, uri, nonce, state, client_id}
//   GET  /request/:id    the signed request object, served once
//   POST /response/:id   the wallet's direct_post / direct_post.jwt response
//   GET  /result/:id     (control) what the verifier concluded
//   GET  /done/:id       the redirect_uri returned to the wallet
// Nothing here is production code; keys live in memory for one run.

import { createHash, randomBytes, webcrypto } from 'node:crypto'
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'
import { Openid4vpVerifier } from '@openid4vc/openid4vp'
import { setGlobalConfig } from '@openid4vc/utils'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import { compactDecrypt, exportJWK, generateKeyPair } from 'jose'

// The wallet under test answers on http://127.0.0.1 (its dev mode).
setGlobalConfig({ allowInsecureUrls: true })

const SIOP_AUD = 'https://self-issued.me/v2' // OpenID4VP 1.0 §5.8, static discovery
const MAX_BODY = 1 << 20
const KB_MAX_AGE = 300
const b64u = (b) => Buffer.from(b).toString('base64url')
const sha256 = (s) => createHash('sha256').update(s).digest()
const decodePart = (jwt, i) => JSON.parse(Buffer.from(jwt.split('.')[i], 'base64url').toString('utf8'))

const lifetime = Number(process.env.CAIRN_INTEROP_LIFETIME_MS || 120000)
setTimeout(() => {
  process.stderr.write(`verifier: lifetime of ${lifetime} ms over, exiting\n`)
  process.exit(3)
}, lifetime)

// The verifier's identity: a P-256 key and its did:jwk; the client id uses
// the decentralized_identifier prefix (OpenID4VP 1.0 §5.9.3).
const { publicKey, privateKey } = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
const pubJwk = await webcrypto.subtle.exportKey('jwk', publicKey)
const signerJwk = { kty: pubJwk.kty, crv: pubJwk.crv, x: pubJwk.x, y: pubJwk.y }
const did = 'did:jwk:' + b64u(JSON.stringify(signerJwk))
const clientId = 'decentralized_identifier:' + did
const token = randomBytes(16).toString('hex')

// did:jwk resolution (the only DID method this verifier trusts issuers by).
function resolveDidJwk(didUrl) {
  const [d] = String(didUrl).split('#')
  if (!d.startsWith('did:jwk:')) throw new Error(`unsupported DID ${d}`)
  return JSON.parse(Buffer.from(d.slice('did:jwk:'.length), 'base64url').toString('utf8'))
}

async function verifyES256(jwk, data, sigB64u) {
  const key = await webcrypto.subtle.importKey('jwk', { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
  return webcrypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, Buffer.from(sigB64u, 'base64url'), Buffer.from(data))
}

const sessions = new Map()

const callbacks = {
  hash: (data, alg) => sha256(data),
  signJwt: async (signer, { header, payload }) => {
    if (signer.method !== 'did' || signer.didUrl !== did + '#0') throw new Error('unexpected signer ' + JSON.stringify(signer))
    const input = b64u(JSON.stringify(header)) + '.' + b64u(JSON.stringify(payload))
    const sig = await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, Buffer.from(input))
    return { jwt: input + '.' + b64u(sig), signerJwk }
  },
  verifyJwt: async () => ({ verified: false }), // no signed (JARM) responses are expected
  decryptJwe: async () => ({ decrypted: false }),
  encryptJwe: async () => { throw new Error('not used') },
}

// direct_post.jwt: the session's ephemeral ECDH-ES key decrypts; the JWE
// header is kept for the explicit checks.
const sessionCallbacks = (s) => ({
  ...callbacks,
  decryptJwe: async (jwe, options) => {
    if (!s.encPrivate) return { decrypted: false }
    if (options?.jwk && options.jwk.kid !== s.encPublic.kid) return { decrypted: false }
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, s.encPrivate)
    s.jweHeader = protectedHeader
    return { decrypted: true, decryptionJwk: s.encPublic, payload: Buffer.from(plaintext).toString('utf8') }
  },
})
const verifier = new Openid4vpVerifier({ callbacks })

async function createSession(base, body) {
  const id = randomBytes(9).toString('base64url')
  const nonce = randomBytes(18).toString('base64url')
  const state = body.state ?? randomBytes(12).toString('base64url')
  const mode = body.response_mode ?? 'direct_post'
  const s = { id, nonce, state, mode, query: body.dcql_query, trusted: body.trusted_issuers ?? [], served: 0, answers: 0, result: null }
  const payload = {
    response_type: 'vp_token', client_id: clientId, response_mode: mode, response_uri: `${base}/response/${id}`,
    nonce, state, dcql_query: body.dcql_query,
    client_metadata: { vp_formats_supported: { 'dc+sd-jwt': { 'sd-jwt_alg_values': ['ES256'], 'kb-jwt_alg_values': ['ES256'] } } },
  }
  if (mode === 'direct_post.jwt') {
    const { publicKey: ep, privateKey: es } = await generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true })
    s.encPrivate = es
    s.encPublic = { ...(await exportJWK(ep)), kid: 'enc-' + id, use: 'enc', alg: 'ECDH-ES' }
    s.enc = body.enc ?? ['A128GCM']
    payload.client_metadata.jwks = { keys: [s.encPublic] }
    payload.client_metadata.encrypted_response_enc_values_supported = s.enc
  }
  // The library sets the request object's aud to the request_uri unless
  // told otherwise; OpenID4VP 1.0 §5.8 asks for https://self-issued.me/v2
  // with static discovery (an openid4vp:// request). library_aud keeps the
  // library's default, to show how Cairn's wallet answers it. No iss: the
  // library's own holder side refuses iss = the prefixed client id.
  const additionalJwtPayload = body.library_aud ? {} : { aud: SIOP_AUD }
  const created = await verifier.createOpenId4vpAuthorizationRequest({
    authorizationRequestPayload: payload,
    jar: { requestUri: `${base}/request/${id}`, jwtSigner: { method: 'did', didUrl: did + '#0', alg: 'ES256' }, additionalJwtPayload, expiresInSeconds: 300 },
  })
  s.request = created.authorizationRequestPayload
  s.requestObject = created.jar.authorizationRequestJwt
  sessions.set(id, s)
  return { id, uri: created.authorizationRequest, nonce, state, client_id: clientId }
}

// pathValues follows a DCQL claims path (§7.1: strings, null, indices).
function pathValues(obj, path) {
  let cur = [obj]
  for (const p of path) {
    const next = []
    for (const c of cur) {
      if (p === null) { if (Array.isArray(c)) next.push(...c) } else if (typeof p === 'number') { if (Array.isArray(c) && p < c.length) next.push(c[p]) } else if (c && typeof c === 'object' && !Array.isArray(c) && p in c) next.push(c[p])
    }
    cur = next
  }
  return cur
}

// inClear is the issuer-signed payload as anyone reads it without
// disclosures: digests and decoys dropped.
function inClear(v) {
  if (Array.isArray(v)) return v.filter((e) => !(e && typeof e === 'object' && !Array.isArray(e) && '...' in e)).map(inClear)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => k !== '_sd' && k !== '_sd_alg').map(([k, e]) => [k, inClear(e)]))
  return v
}

// leafPaths lists the paths of v's leaves; array indices become '*' (the
// clear payload and the processed claims number array elements
// differently).
function leafPaths(v, at = [], out = []) {
  if (Array.isArray(v) && v.length) v.forEach((e) => leafPaths(e, [...at, '*'], out))
  else if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) for (const [k, e] of Object.entries(v)) leafPaths(e, [...at, k], out)
  else out.push(at)
  return out
}

// checkPresentation verifies one dc+sd-jwt presentation with sd-jwt-js,
// then checks what sd-jwt-js 0.20.0 does not (or only in some paths): the
// issuer JWT's typ and alg and trusted issuer, vct against the query, a
// key binding JWT always (sd-jwt-js skips it without a nonce), its typ,
// aud = the full client id (never compared by the library), nonce, sd_hash
// recomputed here, iat freshness, duplicate disclosures; and what was
// disclosed against what the credential query asked.
async function checkPresentation(s, cq, pres) {
  const out = { ok: false, checks: [], missing: [], extra: [] }
  const parts = pres.split('~')
  const issuerJwt = parts[0]
  const kbJwt = parts[parts.length - 1]
  const header = decodePart(issuerJwt, 0)
  const payload = decodePart(issuerJwt, 1)
  if (!s.trusted.includes(payload.iss)) { out.error = `issuer ${payload.iss} not trusted`; return out }
  if (!String(header.kid ?? '').startsWith(payload.iss + '#')) { out.error = `issuer kid ${header.kid} is not a key of ${payload.iss}`; return out }
  const issuerKey = resolveDidJwk(header.kid)
  const sdjwt = new SDJwtVcInstance({
    hasher: (data) => new Uint8Array(sha256(typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data))),
    hashAlg: 'sha-256',
    verifier: (data, sig) => verifyES256(issuerKey, data, sig),
    kbVerifier: (data, sig, p) => verifyES256(p.cnf.jwk, data, sig),
    // Status (draft-ietf-oauth-status-list): sd-jwt-js fetches the list,
    // verifies it with statusVerifier and refuses a non-zero status. It
    // neither checks the token's typ nor that its sub is the URI fetched:
    // statusListFetcher does.
    statusListFetcher: async (uri) => {
      const r = await fetch(uri, { headers: { accept: 'application/statuslist+jwt' }, signal: AbortSignal.timeout(10000) })
      if (!r.ok) throw new Error(`status list ${uri}: HTTP ${r.status}`)
      const jwt = (await r.text()).trim()
      const h = decodePart(jwt, 0)
      const p = decodePart(jwt, 1)
      if (h.typ !== 'statuslist+jwt') throw new Error(`status list typ ${h.typ}`)
      if (p.sub !== uri) throw new Error(`status list sub ${p.sub} is not ${uri}`)
      if (!String(h.kid ?? '').startsWith(payload.iss + '#')) throw new Error(`status list signed by ${h.kid}, not the issuer`)
      out.status = { uri, checked: true }
      return jwt
    },
    statusVerifier: (data, sig) => verifyES256(issuerKey, data, sig),
  })
  let verified
  try {
    verified = await sdjwt.verify(pres, { keyBindingNonce: s.nonce, skewSeconds: 60 })
    out.checks.push('sd-jwt-js: issuer signature, disclosures, KB signature, KB nonce, sd_hash, status')
  } catch (e) {
    out.error = 'sd-jwt-js: ' + String(e?.message ?? e)
    return out
  }
  const fail = (m) => { out.error = m; return out }
  if (header.typ !== 'dc+sd-jwt') return fail(`issuer JWT typ ${header.typ}`)
  if (header.alg !== 'ES256') return fail(`issuer JWT alg ${header.alg}`)
  const vcts = cq.meta?.vct_values
  if (vcts && !vcts.includes(payload.vct)) return fail(`vct ${payload.vct} not asked`)
  if (kbJwt === '' || !verified.kb) return fail('no key binding JWT')
  const kbh = decodePart(kbJwt, 0)
  const kb = decodePart(kbJwt, 1)
  if (kbh.typ !== 'kb+jwt' || kbh.alg !== 'ES256') return fail(`KB-JWT typ ${kbh.typ} alg ${kbh.alg}`)
  if (kb.aud !== clientId) return fail(`KB-JWT aud ${JSON.stringify(kb.aud)}, want the full client id ${clientId}`)
  if (kb.nonce !== s.nonce) return fail('KB-JWT nonce differs from the request nonce')
  const sdHash = b64u(sha256(pres.slice(0, pres.length - kbJwt.length)))
  if (kb.sd_hash !== sdHash) return fail('KB-JWT sd_hash differs from the presentation')
  const now = Math.floor(Date.now() / 1000)
  if (typeof kb.iat !== 'number' || kb.iat < now - KB_MAX_AGE || kb.iat > now + 60) return fail(`KB-JWT iat ${kb.iat} not fresh`)
  const discs = parts.slice(1, -1)
  if (new Set(discs).size !== discs.length) return fail('duplicate disclosure')
  out.checks.push('explicit: typ, alg, trusted issuer, vct, KB present, KB typ, KB aud = client id, KB nonce, sd_hash, KB iat, no duplicate disclosure')
  // Disclosed versus asked: every requested path present, and every leaf
  // the disclosures reveal (a leaf of the processed claims that the
  // issuer-signed payload does not show in clear) inside a requested path.
  const claims = verified.payload
  const asked = (cq.claims ?? []).map((c) => c.path)
  for (const p of asked) if (pathValues(claims, p).length === 0) out.missing.push(p.join('.'))
  out.disclosed = discs.map((d) => {
    const arr = JSON.parse(Buffer.from(d, 'base64url').toString('utf8'))
    return arr.length === 3 ? arr[1] : '[]'
  })
  const clear = new Set(leafPaths(inClear(payload)).map((l) => l.join('/')))
  const covered = (leaf) => asked.some((p) => p.length <= leaf.length && p.every((e, i) => e === null || typeof e === 'number' || e === leaf[i]))
  for (const leaf of leafPaths(claims)) {
    if (!clear.has(leaf.join('/')) && !covered(leaf)) out.extra.push(leaf.join('.'))
  }
  out.claims = claims
  out.kb_aud = kb.aud
  out.ok = true
  return out
}

async function handleResponse(s, form) {
  const res = { at: new Date().toISOString(), mode: s.mode }
  if (s.answers++ > 0) return { status: 400, body: { error: 'invalid_request', error_description: 'already answered' }, res: null }
  // The library has no error-response path (its response schema requires
  // vp_token, encrypted or not): a refusal is read here, unencrypted or,
  // with direct_post.jwt, inside the JWE (OpenID4VP 1.0 §8.3.1).
  let refusal = form.error !== undefined ? form : null
  if (!refusal && form.response && s.encPrivate) {
    try {
      const { plaintext, protectedHeader } = await compactDecrypt(form.response, s.encPrivate)
      const p = JSON.parse(Buffer.from(plaintext).toString('utf8'))
      if (p && typeof p === 'object' && 'error' in p) {
        refusal = p
        res.encrypted = true
        res.jwe = { alg: protectedHeader.alg, enc: protectedHeader.enc, kid: protectedHeader.kid }
        res.outer_params = Object.keys(form)
      }
    } catch { /* not decryptable here: the library reports it below */ }
  }
  if (refusal) {
    // A refusal (§8.5): the error and the state, nothing else.
    res.refused = true
    res.error = refusal.error
    res.state_ok = refusal.state === s.state
    res.extra_params = Object.keys(refusal).filter((k) => !['error', 'error_description', 'state'].includes(k))
    if (res.outer_params) res.extra_params.push(...res.outer_params.filter((k) => k !== 'response'))
    res.ok = res.state_ok && res.extra_params.length === 0
    return { status: 200, body: {}, res }
  }
  let parsed
  try {
    parsed = await verifier.parseOpenid4vpAuthorizationResponse({ authorizationResponse: form, authorizationRequestPayload: s.request, callbacks: sessionCallbacks(s) })
  } catch (e) {
    res.error = 'openid4vp: ' + String(e?.message ?? e)
    return { status: 400, body: { error: 'invalid_request' }, res }
  }
  res.library = parsed.type
  res.encrypted = Boolean(parsed.jarm)
  if (s.mode === 'direct_post.jwt') {
    // The library accepts any JWE its callback decrypts; the explicit
    // checks: encrypted (not merely signed), ECDH-ES, an enc we listed.
    const h = s.jweHeader ?? {}
    res.jwe = { alg: h.alg, enc: h.enc, kid: h.kid }
    if (!res.encrypted || h.alg !== 'ECDH-ES' || !s.enc.includes(h.enc)) {
      res.error = `direct_post.jwt: alg ${h.alg} enc ${h.enc}`
      return { status: 400, body: { error: 'invalid_request' }, res }
    }
  }
  // The library checks the state and the vp_token's shape; the query ids
  // answered against the query are checked here.
  const presentations = parsed.dcql.presentations
  const ids = (s.query.credentials ?? []).map((c) => c.id)
  const unknown = Object.keys(presentations).filter((k) => !ids.includes(k))
  res.unanswered = ids.filter((k) => !(k in presentations))
  if (unknown.length) {
    res.error = `vp_token answers unknown queries ${unknown}`
    return { status: 400, body: { error: 'invalid_request' }, res }
  }
  res.presentations = {}
  let ok = true
  for (const [qid, list] of Object.entries(presentations)) {
    const cq = s.query.credentials.find((c) => c.id === qid)
    if (!cq.multiple && list.length !== 1) { ok = false; res.error = `query ${qid}: ${list.length} presentations` }
    res.presentations[qid] = []
    for (const p of list) {
      const r = typeof p === 'string' ? await checkPresentation(s, cq, p) : { ok: false, error: 'not a string presentation' }
      ok = ok && r.ok
      res.presentations[qid].push(r)
    }
  }
  res.ok = ok
  if (!ok) return { status: 400, body: { error: 'invalid_request' }, res }
  return { status: 200, body: { redirect_uri: `${baseURL}/done/${s.id}` }, res }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = []
    let n = 0
    req.on('data', (c) => {
      n += c.length
      if (n > MAX_BODY) { reject(new Error('body too large')); req.destroy() } else chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' })
  res.end(typeof body === 'string' ? body : JSON.stringify(body))
}

let baseURL = ''
const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, baseURL)
    const [, route, id] = url.pathname.split('/')
    const control = req.headers['x-control'] === token
    const s = id ? sessions.get(id) : undefined
    if (req.method === 'POST' && route === 'session' && control) {
      return send(res, 200, await createSession(baseURL, JSON.parse(await readBody(req))))
    }
    if (req.method === 'GET' && route === 'result' && control && s) return send(res, 200, s.result ?? { pending: true, served: s.served })
    if (req.method === 'GET' && route === 'request' && s) {
      // Served once: a second fetch of the same request_uri is refused.
      if (s.served++ > 0) return send(res, 404, { error: 'invalid_request_uri' })
      return send(res, 200, s.requestObject, 'application/oauth-authz-req+jwt')
    }
    if (req.method === 'POST' && route === 'response' && s) {
      const ct = String(req.headers['content-type'] ?? '')
      if (!ct.startsWith('application/x-www-form-urlencoded')) return send(res, 400, { error: 'invalid_request' })
      const form = Object.fromEntries(new URLSearchParams(await readBody(req)))
      const out = await handleResponse(s, form)
      if (out.res) s.result = out.res
      return send(res, out.status, out.body)
    }
    if (req.method === 'GET' && route === 'done' && s) return send(res, 200, 'done', 'text/plain')
    send(res, 404, { error: 'not_found' })
  } catch (e) {
    process.stderr.write(`verifier: ${e?.stack ?? e}\n`)
    send(res, 500, { error: 'server_error' })
  }
})

server.listen(0, '127.0.0.1', () => {
  baseURL = `http://127.0.0.1:${server.address().port}`
  const v = (name) => JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), 'utf8')).version
  process.stdout.write(JSON.stringify({
    url: baseURL, client_id: clientId, did, token,
    versions: { node: process.versions.node, '@openid4vc/openid4vp': v('@openid4vc/openid4vp'), '@sd-jwt/sd-jwt-vc': v('@sd-jwt/sd-jwt-vc') },
  }) + '\n')
})

// The Go test closes stdin when it is done.
process.stdin.on('end', () => { server.close(); process.exit(0) })
process.stdin.on('error', () => process.exit(0))
process.stdin.resume()
