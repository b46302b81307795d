# The report in a real browser: dpkit report writes the HTML, headless Chromium renders it, and
# tests/browser/check_report.py checks charts are laid out and painted (non-blank screenshots),
# the page script ran, and there were no console errors or network requests.
source "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  if [ -n "${CI:-}" ]; then
    fail "$CHROMIUM not found (scripts/install-deps.sh installs chromium)"
    finish
  fi
  echo "SKIP: $CHROMIUM not found (apt-get install chromium)"
  exit 0
fi

python3 "$HERE/report_make_data.py" "$WORK/gen" --rows 3000 || fail "could not generate data"
D=$WORK/gen
expect_exit 0 "$DPKIT" report --real "$D/train.csv" --synthetic "$D/perturbed.csv" \
  --holdout "$D/holdout.csv" --target churned --privacy "$D/privacy.json" --out "$WORK/report.html"

# 7 non-identifier columns -> 7 histograms + 3 heatmaps + utility + DCR = 12 charts.
SHOT=${DPKIT_REPORT_SCREENSHOT:-$WORK/report.png}
python3 "$HERE/../browser/check_report.py" "$WORK/report.html" --chromium "$CHROMIUM" \
  --min-charts 12 --expect-chart histogram --expect-chart heatmap-real \
  --expect-chart heatmap-synthetic --expect-chart heatmap-difference --expect-chart utility \
  --expect-chart dcr --screenshot "$SHOT" || fail "browser checks failed (see above)"

# The checker must fail on a broken page: a script error, a missing chart and a blank SVG.
sed 's#</main>#<svg class="chart" data-chart="blank" width="300" height="200"></svg></main><script>undefinedFunction();</script>#' \
  "$WORK/report.html" > "$WORK/broken.html"
if python3 "$HERE/../browser/check_report.py" "$WORK/broken.html" --chromium "$CHROMIUM" \
  --min-charts 12 > "$WORK/broken.log" 2>&1; then
  fail "checker accepted a page with a script error and a blank chart"
fi
grep -q "FAIL: no JavaScript exceptions" "$WORK/broken.log" || fail "script error not reported: $(cat "$WORK/broken.log")"
grep -q "FAIL: each chart's screenshot is non-blank" "$WORK/broken.log" || fail "blank chart not reported"
finish
