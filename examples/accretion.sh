#!/usr/bin/env bash
# The whole story, with the CLI clients only, against a running
# 'cairn up' (dev mode: its clock can be moved forward to show months
# passing). Amina is registered on her word by the registration office;
# one hundred days later the clinic attests her vaccinations; eighty-five
# days after that her employer vouches for her. Each credential is weak
# evidence; at the clinic's desk, the three together meet the
# 'basic-services' policy's 'accreted' profile: three attestations from
# three issuers spread over six months. No one of them meets a profile
# alone, as the first check shows.
#
#   CAIRN      the cairn binary (default: bin/cairn of this checkout)
#   CAIRN_DATA the running stack's --data (default: cairn-data)
#   CAIRN_URL  its address (default: http://127.0.0.1:8080)
#
# Run it once per fresh stack ('cairn up --reset --yes'): it moves the
# stack's clock 185 days forward, and a second run would find the first
# credentials too old.
set -euo pipefail
CAIRN="${CAIRN:-$(cd "$(dirname "$0")/.." && pwd)/bin/cairn}"
# The script works in a temporary directory: a relative path (as 'cairn up'
# prints it, ./bin/cairn) is made absolute first.
case "$CAIRN" in /*) ;; */*) CAIRN="$(pwd)/$CAIRN" ;; esac
DATA="$(cd "${CAIRN_DATA:-cairn-data}" && pwd)"
URL="${CAIRN_URL:-http://127.0.0.1:8080}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
session="$work/amina.json"
wallet() { "$CAIRN" wallet --session "$session" "$@"; }

# offer ISSUER TYPE CLAIMS [EVIDENCE]: an offer with a transaction code,
# its URI in offer.txt and the code in code.txt.
offer() {
  "$CAIRN" issuer offer --dir "$DATA/issuers/$1" --type "$2" --claims "$DATA/examples/$3" \
    ${4:+--evidence "$4"} --tx-code --no-png --json 2>/dev/null > offer.json
  sed -n 's/^ *"uri": *"\(.*\)",\{0,1\}$/\1/p' offer.json > offer.txt
  sed -n 's/^ *"tx_code": *"\([0-9]*\)",\{0,1\}$/\1/p' offer.json > code.txt
  test -s offer.txt && test -s code.txt
}

# ask PURPOSE: the desk's request, answered by the wallet with every
# claim asked; prints the desk's result and returns its exit code.
ask() {
  id=$("$CAIRN" verifier request --dir "$DATA/verifier" --purpose "$1" 2> request.txt)
  uri=$(sed -n 's/^request URI: //p' request.txt)
  wallet present "$uri" --yes | sed 's/^/   wallet: /'
  "$CAIRN" verifier result --dir "$DATA/verifier" --wait 30s -- "$id"
}

echo "== 1. Amina creates her wallet on the stack's wallet agent ($URL/wallet/agent)"
printf '2468\n' > pin.txt
wallet --agent "$URL/wallet/agent" holder create --pin-file pin.txt --lang en | sed 's/^/   /'
echo "   today: $("$CAIRN" dev clock --data "$DATA")"

echo "== 2. The registration office registers her on her word (no document seen: evidence 'declared-only')"
offer registration humanitarian-registration registration.json declared-only
wallet receive - --tx-code-file code.txt --yes < offer.txt | sed 's/^/   /'

echo "== 3. At the clinic desk with the registration alone: valid, but no profile is met"
ask clinic-access | tee result.txt
grep -q '^assurance: *Meets no profile' result.txt || { echo "unexpected: one weak registration met a profile" >&2; exit 1; }

echo "== 4. One hundred days later the clinic attests her vaccinations"
echo "   today: $("$CAIRN" dev clock --data "$DATA" --advance 100d)"
wallet holder login --pin-file pin.txt | sed 's/^/   /'
offer clinic health-attestation health.json
wallet receive - --tx-code-file code.txt --yes < offer.txt | sed 's/^/   /'

echo "== 5. Eighty-five days after that her employer vouches for her"
echo "   today: $("$CAIRN" dev clock --data "$DATA" --advance 85d)"
wallet holder login --pin-file pin.txt | sed 's/^/   /'
offer employer community-vouching vouching.json
wallet receive - --tx-code-file code.txt --yes < offer.txt | sed 's/^/   /'

echo "== 6. Her wallet now holds three credentials from three issuers"
wallet list | sed 's/^/   /'

echo "== 7. At the clinic desk again: together they meet the 'accreted' profile"
ask clinic-access | tee result.txt
grep -q '^assurance: *Meets profile accreted' result.txt || { echo "unexpected: the three credentials did not meet 'accreted'" >&2; exit 1; }
