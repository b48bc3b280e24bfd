#!/usr/bin/env bash
# report.html in a real browser. Runs the default matrix into
# $ACKLAB_BIN/tests/report-html, opens its report.html in headless Chromium
# (Debian's chromium package) and checks what a reader relies on: every bug
# cell (a cell whose expectation is not clean) has its SVG sequence diagram
# with rows in it, the matrix links to each, the detection plot is there,
# the page names no outside resource, and the browser's console stays
# silent. A copy of the page with an outside image and an inline script
# must make the console speak, so a console check that hears nothing
# cannot pass by accident. A screenshot is saved in the run folder
# (report.png). Chromium runs in a network namespace of its own with no
# interface but a down loopback: it cannot reach any network, whatever it
# tries. Exit 77 (skip) when Chromium or namespaces are not available here.
set -u
bin=${ACKLAB_BIN:-bin}
out="$bin/tests/report-html"
browser=$(command -v chromium || command -v chromium-browser || true)
fail() { echo "FAIL: $*"; exit 1; }

[ -n "$browser" ] || { echo "SKIP: no chromium here (Debian's chromium package; ./run.sh installs it)"; exit 77; }
unshare -rn true 2>/dev/null || { echo "SKIP: cannot make a network namespace for the browser"; exit 77; }

rm -rf "$out"
"$bin/acklab" run --out "$out" >"$bin/tests/logs/report-html-run.log" 2>&1
rc=$?
[ "$rc" -eq 4 ] && { echo "SKIP: acklab cannot run here: $(tail -n 1 "$bin/tests/logs/report-html-run.log")"; exit 77; }
[ -s "$out/report.html" ] || fail "acklab run (exit $rc) wrote no report.html"

# The browser, offline; its console at INFO level on stderr.
browse() { # page, extra args...
	local page=$1; shift
	timeout 120 unshare -rn "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$out/.chromium" --enable-logging=stderr --v=0 "$@" "file://$page"
}

browse "$(cd "$out" && pwd)/report.html" --dump-dom >"$out/report.dom.html" 2>"$out/report.console.log" ||
	fail "chromium could not render report.html: $(tail -n 3 "$out/report.console.log")"
# The console lines of pages of ours: Chromium's own pages (chrome://) may talk on a busy machine.
page_console() { grep 'CONSOLE' "$1" | grep -v 'source: chrome://' ; }
if page_console "$out/report.console.log" | grep -q .; then
	page_console "$out/report.console.log" | head -n 5
	fail "the page wrote to the browser's console"
fi

bugs=$(jq -r '.cells[] | select(.status != "n/a" and .status != "not run" and .expected != "clean") |
	"\(.scenario)-\(.stack)"' "$out/results.json")
[ -n "$bugs" ] || fail "results.json names no bug cell"
n=0
for cell in $bugs; do
	n=$((n + 1))
	# The diagram as the browser built it: the svg element, then its rows (one g.ev per event).
	svg=$(awk -v id="diagram-$cell\"" 'index($0, id) { on = 1 } on { print } on && /<\/svg>/ { exit }' \
		"$out/report.dom.html")
	[ -n "$svg" ] || fail "bug cell $cell has no diagram"
	rows=$(grep -o 'class="ev"' <<<"$svg" | wc -l)
	[ "$rows" -ge 5 ] || fail "the diagram of $cell has $rows rows"
	grep -q 'the store after the run' <<<"$svg" || fail "the diagram of $cell does not show the store"
	grep -q "href=\"#story-$cell\"" "$out/report.dom.html" || fail "the matrix does not link to $cell"
done
# The lost ack itself: the server's answer drawn as an arrow that stops at the router.
for cell in lost-ack-http-nokey lost-ack-ws-ack; do
	awk -v id="diagram-$cell\"" 'index($0, id) { on = 1 } on { print } on && /<\/svg>/ { exit }' \
		"$out/report.dom.html" | grep -q '(dropped)' || fail "the diagram of $cell shows no dropped answer"
done
grep -q 'id="detection-plot"' "$out/report.dom.html" || fail "no detection plot"
if grep -o -E '(src|href)="[a-z]+:[^"]*"' "$out/report.html" | grep -q .; then
	fail "report.html refers to something outside itself"
fi

# The other side: a page that reaches out must be heard on the console.
sed 's|<body>|<body><img src="https://example.invalid/x.png"><script>console.error("x")</script>|' \
	"$out/report.html" >"$out/.reaching-out.html"
browse "$(cd "$out" && pwd)/.reaching-out.html" --dump-dom >/dev/null 2>"$out/.reaching-out.log"
page_console "$out/.reaching-out.log" | grep -q . || fail "the console check hears nothing even from a page that reaches out"
rm -f "$out/.reaching-out.html" "$out/.reaching-out.log"

browse "$(cd "$out" && pwd)/report.html" --hide-scrollbars --window-size=1300,2400 \
	--screenshot="$(cd "$out" && pwd)/report.png" >/dev/null 2>&1
[ -s "$out/report.png" ] || fail "no screenshot"
rm -rf "$out/.chromium"
echo "report.html: $n bug cells, each with its diagram; console silent; screenshot $out/report.png"
