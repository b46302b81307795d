#!/usr/bin/env bash
# Side-by-side PII detection: dpkit's detectors vs Microsoft Presidio's pattern recognizers
# (regex + checksum + context words, no spaCy model), scored by one scorer (dpkit pii eval) on
# presidio-research's labelled sentences (../shared/data/pii-fakenamegenerator/synth_dataset_v2.json).
#
# Usage: bench/pii_peer.sh /path/to/dpkit [venv-dir]
# Presidio is installed from PyPI into a throwaway venv (default /tmp/dpkit_presidio_venv).
# Recognizers run: CreditCard, Email, Iban, Ip, Phone (python-phonenumbers), UsSsn, Date, Url —
# each called directly (recognizer.analyze), so no NLP model is needed; Presidio's
# AnalyzerEngine context enhancement needs spaCy and is therefore not applied. Presidio has no
# pattern recognizer for PERSON, STREET_ADDRESS or ZIP_CODE: those rows are 0 for it.
# Presidio is scored at its AnalyzerEngine default threshold (0) and at 0.5.
set -euo pipefail
DPKIT=${1:?usage: $0 /path/to/dpkit [venv-dir]}
VENV=${2:-/tmp/dpkit_presidio_venv}
SRC=$(cd "$(dirname "$0")/.." && pwd)
DATA=${DPKIT_SHARED_DATA_DIR:-$SRC/../shared/data}/pii-fakenamegenerator/synth_dataset_v2.json
[ -f "$DATA" ] || { echo "missing $DATA" >&2; exit 4; }
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q presidio-analyzer
fi
WORK=$(mktemp -d /tmp/pii_peer_XXXXXX)
trap 'rm -rf "$WORK"' EXIT

"$VENV/bin/python" - "$DATA" "$WORK" 2>"$WORK/presidio.log" <<'PY'
import json, sys, time
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer, EmailRecognizer, IbanRecognizer, IpRecognizer, PhoneRecognizer,
    UsSsnRecognizer, DateRecognizer, UrlRecognizer)
import presidio_analyzer
data, work = sys.argv[1], sys.argv[2]
texts = [r["full_text"] for r in json.load(open(data, encoding="utf-8"))]
recognizers = [CreditCardRecognizer(), EmailRecognizer(), IbanRecognizer(), IpRecognizer(),
               PhoneRecognizer(), UsSsnRecognizer(), DateRecognizer(), UrlRecognizer()]
mapping = {"URL": "DOMAIN_NAME"}
# Warm-up outside the timing: tldextract (used by the e-mail recognizer) tries to download the
# public suffix list once and falls back to its bundled copy when there is no network.
for r in recognizers:
    r.analyze("warm up john@example.com 4111111111111111", r.supported_entities, None)
start = time.perf_counter()
preds = []
for t in texts:
    spans = []
    for r in recognizers:
        for res in r.analyze(t, r.supported_entities, None) or []:
            spans.append((mapping.get(res.entity_type, res.entity_type), res.start, res.end, res.score))
    preds.append(spans)
secs = time.perf_counter() - start
for thr, name in ((0.0, "presidio_t0"), (0.5, "presidio_t05")):
    out = [[{"entity_type": e, "start": s, "end": en} for (e, s, en, sc) in p if sc >= thr] for p in preds]
    json.dump(out, open(f"{work}/{name}.json", "w"))
print(f"presidio-analyzer {presidio_analyzer.__version__ if hasattr(presidio_analyzer, '__version__') else ''}: "
      f"{len(texts)} texts in {secs:.2f} s ({len(texts)/secs:.0f} texts/s, one core)")
PY

t0=$(date +%s.%N)
"$DPKIT" pii eval "$DATA" > "$WORK/dpkit.txt"
t1=$(date +%s.%N)
"$DPKIT" pii eval "$DATA" --json > "$WORK/dpkit.json"
"$DPKIT" pii eval "$DATA" --predictions "$WORK/presidio_t0.json" > "$WORK/p0.txt"
"$DPKIT" pii eval "$DATA" --predictions "$WORK/presidio_t0.json" --json > "$WORK/p0.json"
"$DPKIT" pii eval "$DATA" --predictions "$WORK/presidio_t05.json" --json > "$WORK/p5.json"
echo "dpkit pii eval (whole process, load + detect + score): $(echo "$t1 - $t0" | bc) s"
echo
echo "== dpkit detectors (threshold 0.5) =="
cat "$WORK/dpkit.txt"
echo
echo "== Presidio pattern recognizers (threshold 0) =="
cat "$WORK/p0.txt"
echo
echo "== Entity-level F1 side by side (matching: any overlap, same category) =="
python3 - "$WORK/dpkit.json" "$WORK/p0.json" "$WORK/p5.json" <<'PY'
import json, sys
d, p0, p5 = (json.load(open(f)) for f in sys.argv[1:4])
row = lambda r: {c["category"]: c for c in r["categories"]} | {"ALL": r["micro"]}
d, p0, p5 = row(d), row(p0), row(p5)
print(f"{'category':16} {'dpkit F1':>9} {'presidio t0':>12} {'presidio t.5':>13} {'ratio':>7}")
shared = ["CREDIT_CARD", "PHONE_NUMBER", "EMAIL_ADDRESS", "IBAN_CODE", "US_SSN", "IP_ADDRESS",
          "DATE_TIME", "DOMAIN_NAME"]
def pooled(r):
    g = sum(r[c]["gold"] for c in shared); p = sum(r[c]["predicted"] for c in shared)
    gf = sum(r[c]["gold_found"] for c in shared); po = sum(r[c]["predicted_ok"] for c in shared)
    prec, rec = (po / p if p else 0), (gf / g if g else 0)
    return {"f1": 2 * prec * rec / (prec + rec) if prec + rec else 0}
for r in (d, p0, p5):
    r["SHARED (8 types)"] = pooled(r)
for c in d:
    a, b, e = d[c]["f1"], p0[c]["f1"], p5[c]["f1"]
    best = max(b, e)
    ratio = f"{a/best:6.2f}x" if best > 0 else "    -"
    print(f"{c:16} {a:9.3f} {b:12.3f} {e:13.3f} {ratio:>7}")
PY
