// sd-jwt-js side of Cairn's interoperability tests (interop/interop_test.go).
//
// Reads one JSON request on stdin, writes one JSON response on stdout:
//   {"op":"versions"}
//   {"op":"issue", issuerKey, kid, payload, frame}            -> {credential}
//   {"op":"present", credential, frame, holderKey, aud, nonce} -> {presentation}
//   {"op":"verify", issuerPub, presentations:[...], aud, nonce,
//    requireKeyBinding, requiredClaimKeys, kbMaxAgeSeconds}
//                                        -> {results:[{ok, claims, kb, error}]}
// A rejection is a result with ok:false, not a process failure; the process
// exits non-zero only when the request itself cannot be handled.
//
// sd-jwt-js 0.20.0 checks less than RFC 9901 and draft-ietf-oauth-sd-jwt-vc
// ask for, so verify() adds the missing checks itself after sd-jwt-js has
// accepted a token (see checkBeyondLibrary).

import { createHash, randomBytes, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';

const ALG = 'ES256';
const VC_TYP = 'dc+sd-jwt';
const KB_TYP = 'kb+jwt';

// ES256 over JWK keys with Node's own crypto; JWS wants raw r||s.
const es256Signer = (privateJwk) => (data) =>
  sign('sha256', Buffer.from(data, 'utf8'), {
    key: privateJwk,
    format: 'jwk',
    dsaEncoding: 'ieee-p1363',
  }).toString('base64url');

const es256Verify = (publicJwk, data, sig) => {
  const { d, ...pub } = publicJwk; // never verify with private material
  void d;
  return verify(
    'sha256',
    Buffer.from(data, 'utf8'),
    { key: pub, format: 'jwk', dsaEncoding: 'ieee-p1363' },
    Buffer.from(sig, 'base64url'),
  );
};

const hasher = (data, alg) => {
  if (alg !== 'sha-256') throw new Error(`unsupported _sd_alg ${alg}`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  return new Uint8Array(createHash('sha256').update(bytes).digest());
};

const saltGenerator = (length) => randomBytes(length).toString('base64url');

function instance({ issuerKey, issuerPub, holderKey } = {}) {
  return new SDJwtVcInstance({
    hasher,
    hashAlg: 'sha-256',
    saltGenerator,
    signAlg: ALG,
    signer: issuerKey ? es256Signer(issuerKey) : undefined,
    verifier: issuerPub ? (data, sig) => es256Verify(issuerPub, data, sig) : undefined,
    kbSignAlg: ALG,
    kbSigner: holderKey ? es256Signer(holderKey) : undefined,
    // The holder key is the cnf.jwk of the (verified) issuer payload.
    kbVerifier: (data, sig, payload) => {
      const jwk = payload?.cnf?.jwk;
      if (!jwk || typeof jwk !== 'object') throw new Error('no cnf.jwk in the credential');
      return es256Verify(jwk, data, sig);
    },
  });
}

function decodeJWTPart(jwt, i) {
  return JSON.parse(Buffer.from(jwt.split('.')[i], 'base64url').toString('utf8'));
}

// checkBeyondLibrary applies what RFC 9901 §7.1/§7.3 and SD-JWT VC require but
// sd-jwt-js 0.20.0 leaves to the caller. It returns an error string or null.
function checkBeyondLibrary(token, result, req) {
  const parts = token.split('~');
  const issuerJWT = parts[0];
  const kbJWT = parts[parts.length - 1];
  const header = decodeJWTPart(issuerJWT, 0);
  // The library never looks at the issuer JWT's typ, and its verifier
  // callback is not told the alg: check both here.
  if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== VC_TYP) {
    return `issuer JWT typ ${JSON.stringify(header.typ)}, want ${VC_TYP}`;
  }
  if (header.alg !== ALG) return `issuer JWT alg ${JSON.stringify(header.alg)}, want ${ALG}`;
  // §4.2: a disclosure may appear only once; the library keys disclosures by
  // digest and silently merges duplicates.
  const discs = parts.slice(1, parts.length - 1);
  if (new Set(discs).size !== discs.length) return 'duplicate disclosure';
  if (!req.requireKeyBinding) {
    // A verifier that did not ask for key binding cannot check one.
    if (kbJWT !== '') return 'key binding JWT present but not requested';
    return null;
  }
  // The library verifies a KB-JWT only when given a nonce; make sure it did.
  if (kbJWT === '' || !result.kb) return 'key binding JWT missing';
  const kbHeader = decodeJWTPart(kbJWT, 0);
  const kb = decodeJWTPart(kbJWT, 1);
  if (kbHeader.typ !== KB_TYP) return `KB-JWT typ ${JSON.stringify(kbHeader.typ)}`;
  if (kbHeader.alg !== ALG) return `KB-JWT alg ${JSON.stringify(kbHeader.alg)}`;
  // The library does not compare aud at all.
  if (typeof kb.aud !== 'string' || kb.aud !== req.aud) {
    return `KB-JWT aud ${JSON.stringify(kb.aud)}, want ${JSON.stringify(req.aud)}`;
  }
  if (kb.nonce !== req.nonce) return `KB-JWT nonce ${JSON.stringify(kb.nonce)}`;
  // The library only refuses an iat in the future; freshness is ours.
  const now = Math.floor(Date.now() / 1000);
  const maxAge = req.kbMaxAgeSeconds ?? 300;
  if (typeof kb.iat !== 'number' || kb.iat < now - maxAge || kb.iat > now + 60) {
    return `KB-JWT iat ${kb.iat} outside [now-${maxAge}s, now+60s]`;
  }
  return null;
}

async function verifyOne(sdjwt, token, req) {
  let result;
  try {
    result = await sdjwt.verify(token, {
      // Without a nonce sd-jwt-js skips key binding entirely.
      keyBindingNonce: req.requireKeyBinding ? req.nonce : undefined,
      requiredClaimKeys: req.requiredClaimKeys,
      skewSeconds: 60,
    });
  } catch (e) {
    return { ok: false, stage: 'sd-jwt-js', error: String(e?.message ?? e) };
  }
  const extra = checkBeyondLibrary(token, result, req);
  if (extra) return { ok: false, stage: 'interop-check', error: extra, claims: result.payload };
  return { ok: true, claims: result.payload, header: result.header, kb: result.kb?.payload ?? null };
}

async function handle(req) {
  switch (req.op) {
    case 'versions': {
      const v = (name) =>
        JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
      return {
        node: process.versions.node,
        '@sd-jwt/core': v('@sd-jwt/core'),
        '@sd-jwt/sd-jwt-vc': v('@sd-jwt/sd-jwt-vc'),
        '@owf/identity-common': v('@owf/identity-common'),
      };
    }
    case 'issue': {
      const sdjwt = instance({ issuerKey: req.issuerKey });
      const header = req.kid ? { kid: req.kid } : {};
      return { credential: await sdjwt.issue(req.payload, req.frame, { header }) };
    }
    case 'present': {
      const sdjwt = instance({ holderKey: req.holderKey });
      const kb = req.holderKey
        ? { payload: { iat: Math.floor(Date.now() / 1000), aud: req.aud, nonce: req.nonce } }
        : undefined;
      return { presentation: await sdjwt.present(req.credential, req.frame, { kb }) };
    }
    case 'verify': {
      const sdjwt = instance({ issuerPub: req.issuerPub });
      const results = [];
      for (const token of req.presentations) results.push(await verifyOne(sdjwt, token, req));
      return { results };
    }
    default:
      throw new Error(`unknown op ${JSON.stringify(req.op)}`);
  }
}

const MAX_INPUT = 1 << 20;

async function main() {
  const chunks = [];
  let size = 0;
  for await (const c of process.stdin) {
    size += c.length;
    if (size > MAX_INPUT) throw new Error(`request larger than ${MAX_INPUT} bytes`);
    chunks.push(c);
  }
  const req = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  process.stdout.write(JSON.stringify(await handle(req)));
}

main().catch((e) => {
  process.stderr.write(`sdjwtjs: ${e?.stack ?? e}\n`);
  process.exit(1);
});
