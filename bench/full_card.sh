# Sourced by benches (not run by bench/run.sh): full_card LAUFMAPPE, in the
# current directory: a root and an issuer key (root.pem, vhs.pem), a trust
# list naming the issuer for IK (trust.cose), a holder (H) and full.img, an
# 8 KB image filled with that holder's IK entries of distinct bytes (none
# a verdict cache would know twice); n: how many.
full_card() {
	local L=$1
	"$L" key generate root.pem >/dev/null && "$L" key generate vhs.pem >/dev/null
	"$L" trust create --root root.pem --out trust.cose 2>/dev/null
	"$L" trust add trust.cose --root root.pem --pub vhs.pem.pub --name VHS --role course_provider --types IK 2>/dev/null
	H=$("$L" holder new)
	"$L" image new --holder "$H" --capacity 8192 --out full.img >/dev/null
	n=0
	while "$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=$((600 + n)) \
		--date 2026-11-24 --out e.cose && "$L" image append full.img e.cose 2>/dev/null; do n=$((n + 1)); done
}
