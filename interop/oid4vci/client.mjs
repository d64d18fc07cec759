// Drives Cairn's issuer with an independent OpenID4VCI 1.0 client
// (@openid4vc/openid4vci, pinned in package-lock.json): offer by reference
// -> issuer metadata -> token (pre-authorized code, optional tx_code) ->
// nonce -> credential with a jwt proof -> notification.
// Input on stdin: {"offer_uri": "...", "tx_code": "..."}; output on stdout:
// {"credential", "holder_jwk", "configuration_id", "notified"} or {"error"}.
import { webcrypto, createHash, randomBytes } from 'node:crypto'
import { Openid4vciClient } from '@openid4vc/openid4vci'
import { clientAuthenticationAnonymous } from '@openid4vc/oauth2'
import { setGlobalConfig } from '@openid4vc/utils'

// The issuer runs on http://127.0.0.1 in tests (its --dev mode).
setGlobalConfig({ allowInsecureUrls: true })

const b64u = (buf) => Buffer.from(buf).toString('base64url')
const input = JSON.parse(await new Promise((resolve) => {
  let s = ''
  process.stdin.on('data', (d) => { s += d })
  process.stdin.on('end', () => resolve(s))
}))

const { publicKey, privateKey } = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
const publicJwk = await webcrypto.subtle.exportKey('jwk', publicKey)
delete publicJwk.key_ops
delete publicJwk.ext

const callbacks = {
  hash: (data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
  generateRandom: (n) => randomBytes(n),
  clientAuthentication: clientAuthenticationAnonymous(),
  signJwt: async (signer, { header, payload }) => {
    if (signer.method !== 'jwk') throw new Error('unexpected signer ' + signer.method)
    const input = b64u(JSON.stringify(header)) + '.' + b64u(JSON.stringify(payload))
    const sig = await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, Buffer.from(input))
    return { jwt: input + '.' + b64u(sig), signerJwk: publicJwk }
  },
}

try {
  const client = new Openid4vciClient({ callbacks })
  const credentialOffer = await client.resolveCredentialOffer(input.offer_uri)
  const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer)
  const configurationId = credentialOffer.credential_configuration_ids[0]
  const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer, issuerMetadata, txCode: input.tx_code || undefined,
  })
  const { c_nonce } = await client.requestNonce({ issuerMetadata })
  const { jwt } = await client.createCredentialRequestJwtProof({
    issuerMetadata, credentialConfigurationId: configurationId, nonce: c_nonce,
    signer: { method: 'jwk', publicJwk, alg: 'ES256' },
  })
  const res = await client.retrieveCredentials({
    issuerMetadata, accessToken: accessTokenResponse.access_token, credentialConfigurationId: configurationId, proofs: { jwt: [jwt] },
  })
  const body = res.credentialResponse
  let notified = false
  if (body.notification_id) {
    await client.sendNotification({
      issuerMetadata, accessToken: accessTokenResponse.access_token,
      notification: { notificationId: body.notification_id, event: 'credential_accepted' },
    })
    notified = true
  }
  process.stdout.write(JSON.stringify({
    credential: body.credentials[0].credential, holder_jwk: publicJwk, configuration_id: configurationId, notified,
  }))
} catch (e) {
  const detail = e?.errorResponse ?? e?.response?.errorResponse ?? null
  process.stdout.write(JSON.stringify({ error: String(e?.message ?? e).slice(0, 2000), detail }))
}
