#!/usr/bin/env bash
# The shortest useful walk through Cairn as it stands: an NGO issues a
# humanitarian registration credential (claims as the catalogue defines
# them: 'cairn schemas show humanitarian-registration') to a migrant's key,
# the migrant discloses only their name to a caseworker, and the
# caseworker verifies it and sees what was not disclosed.
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
# The caps let the NGO claim the type's default evidence (2/2/2, in person).
"$CAIRN" registry authorize --db registry.db --did "$ngo_did" --vct urn:cairn:vct:humanitarian-registration:1 \
  --max-strength 2 --max-validity 2 --max-verification 2 >/dev/null
"$CAIRN" registry publish --db registry.db --key board.jwk --ttl 720h --out registry.jwt 2>/dev/null


cat > claims.json <<'JSON'
{
  "registration_id": "KEN-KAK-2026-004512",
  "registration_date": "2026-03-14",
  "registration_place": {"country": "KE", "locality": "Kakuma"},
  "given_name": "Amina",
  "family_name": "Yusuf",
  "birthdate": "1994-07-02",
  "household_size": 4,
  "evidence": {"strength": 2, "validity": 2, "verification": 2, "method": "in_person"}
}
JSON

echo "== 3. The NGO issues a credential; every personal claim is selectively disclosable, as the catalogue says"
"$CAIRN" credential issue --key ngo.jwk --vct urn:cairn:vct:humanitarian-registration:1 \
  --claims claims.json --sd /given_name --sd /family_name --sd /birthdate \
  --sd /registration_id --sd /registration_date --sd /registration_place --sd /household_size \
  --holder-did "$holder_did" --ttl 8760h > cred.sdjwt
echo "   $(wc -c < cred.sdjwt) bytes, $(tr -cd '~' < cred.sdjwt | wc -c) tilde-separated parts"

echo "== 4. The caseworker's desk sends a nonce; the migrant discloses only the name"
nonce="desk-$(date +%s)"
"$CAIRN" credential present --holder-key migrant.jwk --disclose /given_name --disclose /family_name \
  --nonce "$nonce" --aud https://desk.example cred.sdjwt > presentation.txt

echo "== 5. The caseworker verifies against the registry (pinned authority key), offline, with the catalogue's labels"
echo "      (--lang fr, ar or uk for the other languages): only the name is shown; the rest is listed as not disclosed"
"$CAIRN" credential verify --registry registry.jwt --registry-key board.pin.jwk --offline --lang en \
  --nonce "$nonce" --aud https://desk.example presentation.txt

echo "== 6. The same presentation replayed to another desk is refused (exit code 3, invalid)"
if "$CAIRN" credential verify --registry registry.jwt --registry-key board.pin.jwk --offline \
    --nonce "$nonce" --aud https://other-desk.example presentation.txt; then
  echo "   unexpected: replay accepted" >&2; exit 1
else
  echo "   refused with exit code $?"
fi
