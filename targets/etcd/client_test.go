package etcd

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline-io/faultline/targets"
)

// fakeEtcd answers the gateway paths from an in-memory map, recording
// the requests, the way etcd 3.6's gateway encodes them.
type fakeEtcd struct {
	mu   sync.Mutex
	kv   map[string]string
	reqs []map[string]any
}

func (f *fakeEtcd) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"code":3, "message":"bad json"}`)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	dec := func(v any) string { b, _ := base64.StdEncoding.DecodeString(v.(string)); return string(b) }
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	hdr := `"header":{"cluster_id":"324952591200643719", "member_id":"3319814642761637952", "revision":"2", "raft_term":"2"}`
	switch r.URL.Path {
	case pathRange:
		k := dec(req["key"])
		if v, ok := f.kv[k]; ok {
			io.WriteString(w, `{`+hdr+`, "kvs":[{"key":"`+enc(k)+`", "create_revision":"2", "mod_revision":"2", "version":"1", "value":"`+enc(v)+`"}], "count":"1"}`)
			return
		}
		io.WriteString(w, `{`+hdr+`}`)
	case pathPut:
		f.kv[dec(req["key"])] = dec(req["value"])
		io.WriteString(w, `{`+hdr+`}`)
	case pathTxn:
		cmp := req["compare"].([]any)[0].(map[string]any)
		k := dec(cmp["key"])
		if v, ok := f.kv[k]; !ok || v != dec(cmp["value"]) || cmp["result"] != "EQUAL" || cmp["target"] != "VALUE" {
			io.WriteString(w, `{`+hdr+`}`)
			return
		}
		put := req["success"].([]any)[0].(map[string]any)["request_put"].(map[string]any)
		f.kv[dec(put["key"])] = dec(put["value"])
		io.WriteString(w, `{`+hdr+`, "succeeded":true, "responses":[{"response_put":{"header":{"revision":"3"}}}]}`)
	case pathStatus:
		io.WriteString(w, `{`+hdr+`, "version":"3.6.16", "dbSize":"20480", "leader":"3319814642761637952", "raftIndex":"7", "raftTerm":"2", "raftAppliedIndex":"7", "dbSizeInUse":"16384", "storageVersion":"3.6.0", "dbSizeQuota":"2147483648", "downgradeInfo":{}}`)
	default:
		http.NotFound(w, r)
	}
}

func TestClientAgainstGatewayEncoding(t *testing.T) {
	f := &fakeEtcd{kv: map[string]string{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	ctx := context.Background()
	c := NewClient(strings.TrimPrefix(srv.URL, "http://"), false)
	defer c.Close()

	if _, found, err := c.Read(ctx, "k"); err != nil || found {
		t.Fatalf("read of a missing key: found=%v err=%v", found, err)
	}
	if err := c.Write(ctx, "k", 3); err != nil {
		t.Fatal(err)
	}
	if v, found, err := c.Read(ctx, "k"); err != nil || !found || v != 3 {
		t.Fatalf("read = %d %v %v, want 3", v, found, err)
	}
	if ok, err := c.CAS(ctx, "k", 2, 4); err != nil || ok {
		t.Fatalf("cas 2->4 on 3: %v %v, want a failed comparison", ok, err)
	}
	if ok, err := c.CAS(ctx, "k", 3, 4); err != nil || !ok {
		t.Fatalf("cas 3->4 on 3: %v %v", ok, err)
	}
	if ok, err := c.CAS(ctx, "missing", 0, 1); err != nil || ok {
		t.Fatalf("cas on a missing key: %v %v", ok, err)
	}
	if f.kv["k"] != "4" {
		t.Fatalf("stored %q, want decimal 4", f.kv["k"])
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Leader != 3319814642761637952 || st.Header.MemberID != st.Leader || st.RaftAppliedIndex != 7 || st.Version != "3.6.16" {
		t.Fatalf("status = %+v", st)
	}
	// Reads are linearizable unless asked otherwise.
	for _, r := range f.reqs {
		if _, ok := r["serializable"]; ok {
			t.Fatalf("a linearizable client sent serializable: %v", r)
		}
	}
	s := NewClient(strings.TrimPrefix(srv.URL, "http://"), true)
	defer s.Close()
	if _, _, err := s.Read(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if last := f.reqs[len(f.reqs)-1]; last["serializable"] != true {
		t.Fatalf("serializable client sent %v", last)
	}
}

func TestErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		status   int
		body     string
		definite bool
	}{
		{503, `{"code":14, "message":"etcdserver: request timed out"}`, false},
		{503, `{"code":14, "message":"etcdserver: request timed out, possibly due to previous leader failure"}`, false},
		{503, `{"code":14, "message":"etcdserver: leader changed"}`, false},
		{503, `{"code":14, "message":"etcdserver: server stopped"}`, false},
		{504, `{"code":4, "message":"context deadline exceeded"}`, false},
		{500, `{"code":2, "message":"something new"}`, false},
		{503, `{"code":14, "message":"etcdserver: no leader"}`, true},
		{500, `{"code":2, "message":"raft proposal dropped"}`, true},
		{429, `{"code":8, "message":"etcdserver: too many requests"}`, true},
		{429, `{"code":8, "message":"etcdserver: mvcc: database space exceeded"}`, true},
		{400, `{"code":3, "message":"etcdserver: request is too large"}`, true},
		{400, `{"error":"etcdserver: key is not provided", "code":3}`, true},
		{404, `404 page not found`, true},
		{502, `<html>bad gateway</html>`, false},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			io.WriteString(w, tc.body)
		}))
		c := NewClient(strings.TrimPrefix(srv.URL, "http://"), false)
		err := c.Write(context.Background(), "k", 1)
		if err == nil || targets.IsDefinite(err) != tc.definite {
			t.Errorf("%d %s: err = %v, definite = %v, want %v", tc.status, tc.body, err, targets.IsDefinite(err), tc.definite)
		}
		c.Close()
		srv.Close()
	}
}

// A refused connection never carried the request: definite. A server
// that takes the request and then says nothing leaves it unknown.
func TestTransportClassification(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := ln.Addr().String()
	ln.Close()
	c := NewClient(refused, false)
	err = c.Write(context.Background(), "k", 1)
	if err == nil || !targets.IsDefinite(err) {
		t.Errorf("refused dial: %v, want definite", err)
	}
	c.Close()

	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		<-release
	}))
	defer srv.Close()
	defer close(release)
	c = NewClient(strings.TrimPrefix(srv.URL, "http://"), false)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = c.CAS(ctx, "k", 1, 2)
	if err == nil || targets.IsDefinite(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timeout after sending: %v, want indeterminate deadline error", err)
	}
}
