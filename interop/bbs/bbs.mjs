// @digitalbazaar/bbs-signatures side of Cairn's BBS interoperability tests.
// Driven by interop/bbs_test.go: one JSON request on stdin, {"ops": [...]},
// one JSON answer on stdout, {"results": [...]}, one result per op, in
// order. Byte strings travel as lowercase hex. An op that throws answers
// {"ok": false, "error": "..."}; verification ops answer {"ok": <bool>}.
import * as bbs from '@digitalbazaar/bbs-signatures';

const hex = b => Buffer.from(b).toString('hex');
const bytes = h => new Uint8Array(Buffer.from(h ?? '', 'hex'));
const list = a => (a ?? []).map(bytes);

async function run(op) {
  const ciphersuite = op.suite;
  switch(op.op) {
  case 'keygen': {
    const {secretKey, publicKey} = await bbs.generateKeyPair({
      ciphersuite, seed: op.seed ? bytes(op.seed) : undefined
    });
    return {ok: true, secretKey: hex(secretKey), publicKey: hex(publicKey)};
  }
  case 'sign': {
    const signature = await bbs.sign({
      ciphersuite, secretKey: bytes(op.secretKey), publicKey: bytes(op.publicKey),
      header: bytes(op.header), messages: list(op.messages)
    });
    return {ok: true, signature: hex(signature)};
  }
  case 'verify': {
    const ok = await bbs.verifySignature({
      ciphersuite, publicKey: bytes(op.publicKey), signature: bytes(op.signature),
      header: bytes(op.header), messages: list(op.messages)
    });
    return {ok: ok === true};
  }
  case 'prove': {
    const proof = await bbs.deriveProof({
      ciphersuite, publicKey: bytes(op.publicKey), signature: bytes(op.signature),
      header: bytes(op.header), messages: list(op.messages),
      presentationHeader: bytes(op.ph), disclosedMessageIndexes: op.disclosed ?? []
    });
    return {ok: true, proof: hex(proof)};
  }
  case 'verifyProof': {
    const ok = await bbs.verifyProof({
      ciphersuite, publicKey: bytes(op.publicKey), proof: bytes(op.proof),
      header: bytes(op.header), presentationHeader: bytes(op.ph),
      disclosedMessages: list(op.disclosedMessages),
      disclosedMessageIndexes: op.disclosed ?? []
    });
    return {ok: ok === true};
  }
  default:
    throw new Error(`unknown op ${op.op}`);
  }
}

const chunks = [];
for await (const c of process.stdin) {
  chunks.push(c);
}
const req = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const results = [];
for(const op of req.ops) {
  try {
    results.push(await run(op));
  } catch(e) {
    results.push({ok: false, error: String(e?.message ?? e)});
  }
}
process.stdout.write(JSON.stringify({results}));
