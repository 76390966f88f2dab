package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// These tests open report.html in headless Chromium, as a reviewer's
// browser would: the page's scripts must run without an error, and the
// verdict, the charts and the timeline must be there. Without Chromium
// they skip, except when CI is set (.ci/run installs Debian's chromium).

// chromium returns the path of a Chromium binary.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on PATH, and CI is set (.ci/run installs it with apt-get install -y chromium)")
	}
	t.Skip("no chromium on PATH (set CI to make this a failure)")
	return ""
}

// headless runs Chromium on a file with the given extra flags and returns
// its standard output. Chromium is kept off the network: no background
// services, and every host name resolves to nothing.
func headless(t *testing.T, bin, file string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-extensions", "--disable-default-apps", "--host-resolver-rules=MAP * ~NOTFOUND",
		"--user-data-dir=" + t.TempDir(), "--hide-scrollbars", "--virtual-time-budget=15000"}, extra...)
	args = append(args, "file://"+file)
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

// dom parses a DOM dump and indexes its elements by id.
type dom struct {
	root *html.Node
	byID map[string]*html.Node
}

func parseDOM(t *testing.T, b []byte) *dom {
	t.Helper()
	root, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	d := &dom{root: root, byID: map[string]*html.Node{}}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if id := attr(n, "id"); id != "" {
				d.byID[id] = n
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return d
}

func (d *dom) html() *html.Node {
	for c := d.root.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.Data == "html" {
			return c
		}
	}
	return nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// probePage loads report.html in a frame, as a reader would, then acts
// like one: it hovers over the timeline's first row and zooms in. What it
// finds goes into <pre id="probe"> as JSON for the DOM dump. Chromium runs
// with --allow-file-access-from-files so the page may look into the frame.
const probePage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><script>%s</script></head>
<body style="margin:0">
<iframe id="report" src="report.html" style="width:1280px;height:3600px;border:0"></iframe>
<pre id="probe"></pre>
<script>
document.getElementById('report').addEventListener('load', function () {
  var w = this.contentWindow, d = this.contentDocument, out = {};
  var root = d.documentElement, el = function (id) { return d.getElementById(id); };
  out.loadMs = w.performance.now().toFixed(0);
  out.ready = root.getAttribute('data-ready');
  out.errors = root.getAttribute('data-js-errors');
  out.verdict = el('verdict') ? el('verdict').textContent : null;
  out.verdictClass = el('verdict') ? el('verdict').className : null;
  out.explanation = el('explanation') ? el('explanation').textContent : null;
  out.charts = ['latency-chart', 'quantile-chart', 'throughput-chart'].filter(function (id) {
    return el(id) && el(id).tagName.toLowerCase() === 'svg' && el(id).querySelectorAll('path, rect').length > 0;
  });
  var c = el('tl-canvas');
  out.ops = c && c.getAttribute('data-ops');
  out.drawn = c && c.getAttribute('data-drawn');
  out.drawMs = c && c.getAttribute('data-draw-ms');
  out.width = c && c.width;
  if (c) {
    var r = c.getBoundingClientRect();
    c.dispatchEvent(new w.MouseEvent('mousemove', {clientX: r.left + r.width / 2, clientY: r.top + 46 + 8, bubbles: true}));
    out.tip = el('tl-tip').textContent;
    out.tipShown = el('tl-tip').style.display;
    out.rangeBefore = el('tl-range').textContent;
    el('tl-in').click();
  }
  setTimeout(function () {
    out.rangeAfter = el('tl-range') ? el('tl-range').textContent : null;
    document.getElementById('probe').textContent = JSON.stringify(out);
  }, 300);
});
</script>
</body></html>
`

// probeResult is what probePage found.
type probeResult struct {
	Ready, Errors, Verdict, VerdictClass, Explanation *string
	Charts                                            []string
	Ops, Drawn, DrawMs, LoadMs                        *string
	Width                                             int
	Tip, TipShown, RangeBefore, RangeAfter            string
}

// TestReportInChromium renders a run of bigRunOps history entries;
// FAULTLINE_REPORT_OPS=100000 renders a bigger one (for docs/benchmarks.md).
func TestReportInChromium(t *testing.T) {
	bin := chromium(t)
	var dir string
	if v := os.Getenv("FAULTLINE_REPORT_OPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 {
			t.Fatalf("FAULTLINE_REPORT_OPS=%q: want a number of history entries", v)
		}
		dir = makeBigRun(t, n, true)
		if err := WriteAll(dir); err != nil {
			t.Fatal(err)
		}
	} else {
		dir = sharedBigRun(t)
	}
	probe := filepath.Join(dir, "_probe.html")
	if err := os.WriteFile(probe, []byte(fmt.Sprintf(probePage, errorSink)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(probe) })
	shot := filepath.Join(t.ArtifactDir(), "report.png")

	// One start of Chromium: the DOM after the scripts ran, and a picture.
	d := parseDOM(t, headless(t, bin, probe, "--allow-file-access-from-files", "--dump-dom",
		"--window-size=1280,3600", "--screenshot="+shot))
	if errs := attr(d.html(), "data-js-errors"); errs != "" {
		t.Errorf("JavaScript errors in the probe page: %s", errs)
	}
	pn := d.byID["probe"]
	if pn == nil || strings.TrimSpace(text(pn)) == "" {
		t.Fatal("the probe found nothing: the report did not load in the frame")
	}
	var p probeResult
	if err := json.Unmarshal([]byte(text(pn)), &p); err != nil {
		t.Fatalf("probe: %v\n%s", err, text(pn))
	}
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	if str(p.Errors) != "" {
		t.Errorf("JavaScript errors in report.html: %s", str(p.Errors))
	}
	if str(p.Ready) != "1" {
		t.Error("the report's script did not run to its end (no data-ready)")
	}
	if !strings.Contains(str(p.Verdict), "invalid") || !strings.Contains(str(p.VerdictClass), "invalid") {
		t.Errorf("verdict at the top: %q (class %q)", str(p.Verdict), str(p.VerdictClass))
	}
	if !strings.Contains(str(p.Explanation), "On key") {
		t.Errorf("no plain explanation of the anomaly: %q", str(p.Explanation))
	}
	if len(p.Charts) != 3 {
		t.Errorf("charts drawn: %v, want latency, quantiles and throughput", p.Charts)
	}
	if drawn, _ := strconv.Atoi(str(p.Drawn)); drawn == 0 || p.Width == 0 {
		t.Errorf("the timeline drew %s ops on a canvas %d px wide", str(p.Drawn), p.Width)
	}
	if p.TipShown != "block" || !strings.Contains(p.Tip, "process") || !strings.Contains(p.Tip, "invoked at") {
		t.Errorf("hovering over the timeline shows %q (display %q)", p.Tip, p.TipShown)
	}
	if p.RangeAfter == "" || p.RangeAfter == p.RangeBefore {
		t.Errorf("zoom in did not change the timeline's range: %q then %q", p.RangeBefore, p.RangeAfter)
	}
	if st, err := os.Stat(filepath.Join(dir, "report.html")); err == nil {
		t.Logf("report.html: %.1f MB; loaded, parsed and scripts run in %s ms", float64(st.Size())/1e6, str(p.LoadMs))
	}
	t.Logf("timeline: %s ops, %s bars drawn in %s ms; hover: %q", str(p.Ops), str(p.Drawn), str(p.DrawMs), p.Tip)
	checkScreenshot(t, shot)
	t.Logf("screenshot: %s (kept with go test -artifacts)", shot)
}

// checkScreenshot fails on a blank or missing screenshot: the top must show
// the red banner of an invalid verdict, and the page must have many colours
// (charts, timeline).
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	b := img.Bounds()
	colours := map[[3]uint32]bool{}
	banner := false
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			if y < 300 && isBannerRed(img, x, y) {
				banner = true
			}
		}
	}
	if !banner {
		t.Errorf("screenshot %s: no red verdict banner near the top", path)
	}
	if len(colours) < 100 {
		t.Errorf("screenshot %s has %d colours: blank or broken page?", path, len(colours))
	}
}

// isBannerRed matches the invalid banner's colour, #c62828.
func isBannerRed(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	return r>>8 > 0xb0 && r>>8 < 0xd8 && g>>8 < 0x40 && b>>8 < 0x40
}

// The error sink must catch an error, or the test above could not fail.
func TestChromiumSeesScriptErrors(t *testing.T) {
	bin := chromium(t)
	page := filepath.Join(t.TempDir(), "broken.html")
	b := fmt.Sprintf("<!DOCTYPE html><html><head><script>%s</script></head><body><script>noSuchFunction();</script></body></html>", errorSink)
	if err := os.WriteFile(page, []byte(b), 0o644); err != nil {
		t.Fatal(err)
	}
	d := parseDOM(t, headless(t, bin, page, "--dump-dom"))
	if errs := attr(d.html(), "data-js-errors"); !strings.Contains(errs, "noSuchFunction") {
		t.Errorf("the error sink missed a ReferenceError: data-js-errors=%q", errs)
	}
}
