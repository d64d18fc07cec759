#!/usr/bin/env bash
# The shortest useful walk through Cairn as it stands: an NGO issues a
# registration credential to a migrant's key, the migrant discloses only
# their name to a caseworker, and the caseworker verifies it.
set -euo pipefail
CAIRN="${CAIRN:-$(cd "$(dirname "$0")/.." && pwd)/bin/cairn}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "== 1. The NGO and the migrant each make a key"
ngo_did=$("$CAIRN" keys generate --out ngo.jwk)
holder_did=$("$CAIRN" keys generate --out migrant.jwk)
echo "   NGO:     ${ngo_did:0:60}…"
echo "   migrant: ${holder_did:0:60}…"

echo "== 2. A governance authority admits the NGO to its trust registry and publishes a signed snapshot"
"$CAIRN" registry init --db registry.db --name "Pilot Board" --key board.jwk --pin-out board.pin.jwk >/dev/null
"$CAIRN" registry add --db registry.db --did "$ngo_did" --role issuer --name "en=Helping Hands,fr=Mains Secourables,ar=أيادي المساعدة,uk=Руки допомоги" >/dev/null
"$CAIRN" registry authorize --db registry.db --did "$ngo_did" --vct urn:cairn:vct:humanitarian-registration:1 \
  --max-strength 2 --max-validity 2 >/dev/null
"$CAIRN" registry publish --db registry.db --key board.jwk --ttl 720h --out registry.jwt 2>/dev/null


cat > claims.json <<'JSON'
{
  "registration_id": "KEN-KAK-2026-004512",
  "registration_date": "2026-03-14",
  "given_name": "Amina",
  "family_name": "Yusuf",
  "birthdate": "1994-07-02",
  "household_size": 4,
  "nationalities": ["SO"]
}
JSON

echo "== 3. The NGO issues a credential; name, birthdate and nationalities are selectively disclosable"
"$CAIRN" credential issue --key ngo.jwk --vct urn:cairn:vct:humanitarian-registration:1 \
  --claims claims.json --sd /given_name --sd /family_name --sd /birthdate \
  --sd /registration_id --sd '/nationalities/*' --holder-did "$holder_did" --ttl 8760h > cred.sdjwt
echo "   $(wc -c < cred.sdjwt) bytes, $(tr -cd '~' < cred.sdjwt | wc -c) tilde-separated parts"

echo "== 4. The caseworker's desk sends a nonce; the migrant discloses only the name"
nonce="desk-$(date +%s)"
"$CAIRN" credential present --holder-key migrant.jwk --disclose /given_name --disclose /family_name \
  --nonce "$nonce" --aud https://desk.example cred.sdjwt > presentation.txt

echo "== 5. The caseworker verifies against the registry (pinned authority key), offline"
"$CAIRN" credential verify --registry registry.jwt --registry-key board.pin.jwk --offline \
  --nonce "$nonce" --aud https://desk.example presentation.txt

echo "== 6. The same presentation replayed to another desk is refused"
if "$CAIRN" credential verify --registry registry.jwt --registry-key board.pin.jwk --offline \
    --nonce "$nonce" --aud https://other-desk.example presentation.txt; then
  echo "   unexpected: replay accepted" >&2; exit 1
else
  echo "   refused with exit code $?"
fi
