package reports

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/faultline-io/faultline/harness/store"
)

const secret = "TOP SECRET: outside the store"

// storeWithRuns makes a store holding the invalid test run, a suite record
// and traps: a secret file beside the store, and symbolic links inside
// the store that point at it and at its directory. It returns the store,
// the run's path relative to it and the secret's absolute path.
func storeWithRuns(t *testing.T) (root, runRel, secretPath string) {
	t.Helper()
	run := makeRun(t) // <tmp>/raft-register/<stamp>
	root = filepath.Dir(filepath.Dir(run))
	runRel = "raft-register/" + filepath.Base(run)
	if err := WriteAll(run); err != nil {
		t.Fatal(err)
	}
	if err := store.SetLatest(root, run); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	secretPath = filepath.Join(outside, "secret.txt")
	if err := os.WriteFile(secretPath, []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secretPath, filepath.Join(run, store.NodesDir, "evil.log")); err != nil {
		t.Fatal(err)
	}
	s := Suite{Name: "smoke", Start: time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC), Runs: []SuiteRun{
		{Label: "raft/register/partition/seed=1", Target: "raft", Workload: "register", Nemesis: "partition", Dir: run, Verdict: "invalid", Expect: "invalid", Pass: true}}}
	if err := WriteSuite(filepath.Join(root, SuitesDir, "smoke", "20261125T110000.000Z"), s); err != nil {
		t.Fatal(err)
	}
	return root, runRel, secretPath
}

// rawGet sends a request line exactly as given, so neither the client nor
// a URL parser cleans the path first.
func rawGet(t *testing.T, addr, method, target string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", method, target, addr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServe(t *testing.T) {
	root, runRel, secretPath := storeWithRuns(t)
	srv, err := NewServer(root)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()
	addr := strings.TrimPrefix(ts.URL, "http://")

	code, body := rawGet(t, addr, "GET", "/")
	if code != 200 {
		t.Fatalf("GET /: %d\n%s", code, body)
	}
	for _, want := range []string{"raft-register", `class="badge invalid"`, runRel + "/report.html", runRel + "/junit.xml",
		"smoke", "1 of 1 passed", "partition, kill"} {
		if !strings.Contains(body, want) {
			t.Errorf("index lacks %q", want)
		}
	}
	// Every link of the index leads to something the server has.
	for _, href := range links(t, body) {
		u, err := url.Parse(href)
		if err != nil || u.IsAbs() {
			t.Errorf("index link %q is not a relative path", href)
			continue
		}
		resp, err := http.Get(ts.URL + "/" + u.EscapedPath())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("index link %s: %d", href, resp.StatusCode)
		}
	}

	for _, target := range []string{"/" + runRel + "/report.html", "/latest/report.html", "/" + runRel + "/nodes/n1.log"} {
		if code, body := rawGet(t, addr, "GET", target); code != 200 || body == "" {
			t.Errorf("GET %s: %d", target, code)
		}
	}
	if code, body := rawGet(t, addr, "GET", "/"+runRel+"/report.html"); code != 200 || !strings.Contains(body, `id="verdict"`) {
		t.Errorf("the report is not served whole: %d", code)
	}

	// Nothing outside the store, however the path is written.
	rel, _ := filepath.Rel(root, secretPath)
	for _, target := range []string{
		"/../" + filepath.Base(secretPath),
		"/" + filepath.ToSlash(rel),
		"/%2e%2e/" + filepath.Base(secretPath),
		"/%2E%2E%2F" + filepath.Base(secretPath),
		"/" + strings.ReplaceAll(filepath.ToSlash(rel), "..", "%2e%2e"),
		"/raft-register/..%2f..%2f" + strings.TrimPrefix(filepath.ToSlash(rel), "../"),
		"/" + runRel + "/../../../" + strings.TrimPrefix(filepath.ToSlash(rel), "../"),
		"//" + strings.TrimPrefix(secretPath, "/"),
		secretPath,                       // absolute path as the request target
		"/" + secretPath,                 // and doubled
		"/escape/secret.txt",             // a directory link pointing outside
		"/" + runRel + "/nodes/evil.log", // a file link pointing outside
		"/..%5c" + filepath.Base(secretPath),
		"/etc/passwd",
	} {
		code, body := rawGet(t, addr, "GET", target)
		if strings.Contains(body, secret) {
			t.Errorf("GET %s leaked a file outside the store (%d)", target, code)
		}
		if code < 400 && code != http.StatusMovedPermanently {
			t.Errorf("GET %s: %d, want a refusal", target, code)
		}
	}
	// Read-only.
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		if code, _ := rawGet(t, addr, m, "/"+runRel+"/report.html"); code != http.StatusMethodNotAllowed {
			t.Errorf("%s: %d, want 405", m, code)
		}
	}
	if _, err := os.Stat(filepath.Join(root, runRel, store.ReportFile)); err != nil {
		t.Error(err)
	}
}

// links returns the href of every <a> of a page.
func links(t *testing.T, page string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "a" {
			out = append(out, attr(n, "href"))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

func TestStaticIndex(t *testing.T) {
	root, runRel, _ := storeWithRuns(t)
	// A page beside the store, as a CI job publishes it.
	page := filepath.Join(t.TempDir(), "site", "index.html")
	if err := os.MkdirAll(filepath.Dir(page), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteIndexFile(root, page); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	hrefs := links(t, string(b))
	if len(hrefs) < 5 {
		t.Fatalf("index has %d links", len(hrefs))
	}
	found := false
	for _, h := range hrefs {
		p, err := url.PathUnescape(h)
		if err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(filepath.Dir(page), filepath.FromSlash(p))
		if _, err := os.Stat(target); err != nil {
			t.Errorf("link %s: %v", h, err)
		}
		found = found || strings.HasSuffix(p, runRel+"/report.html")
	}
	if !found {
		t.Errorf("no link to the run's report in %v", hrefs)
	}
	checkSelfContainedIndex(t, b)
}

// checkSelfContainedIndex fails if the index loads anything.
func checkSelfContainedIndex(t *testing.T, b []byte) {
	t.Helper()
	for _, bad := range []string{"<script", "<link", "http://", "https://"} {
		if strings.Contains(string(b), bad) {
			t.Errorf("index.html contains %q", bad)
		}
	}
}
