package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	listen := flag.String("listen", ":8080", "address to serve on")
	primary := flag.String("primary", "", "base URL of the node holding the data (e.g. http://n1:8080); empty: this node holds it")
	flag.Parse()
	var h http.Handler = newStore()
	if *primary != "" {
		h = &forwarder{primary: strings.TrimSuffix(*primary, "/"), client: &http.Client{Timeout: 5 * time.Second}}
	}
	log.Printf("serving on %s (primary %q)", *listen, *primary)
	if err := http.ListenAndServe(*listen, h); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

// store is the primary: one map, one lock, so every operation is atomic.
type store struct {
	mu  sync.Mutex
	kv  map[string]int64
	mux *http.ServeMux
}

func newStore() *store {
	s := &store{kv: map[string]int64{}, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /kv/{key}", s.get)
	s.mux.HandleFunc("PUT /kv/{key}", s.put)
	s.mux.HandleFunc("POST /cas/{key}", s.cas)
	s.mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return s
}

func (s *store) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *store) get(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	v, ok := s.kv[r.PathValue("key")]
	s.mu.Unlock()
	if !ok {
		http.Error(w, "no value", http.StatusNotFound)
		return
	}
	fmt.Fprint(w, v)
}

func (s *store) put(w http.ResponseWriter, r *http.Request) {
	// Read the whole body before changing anything: a request cut short
	// is never applied.
	b, err := io.ReadAll(io.LimitReader(r.Body, 64))
	v, perr := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || perr != nil {
		http.Error(w, "body must be an integer", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.kv[r.PathValue("key")] = v
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *store) cas(w http.ResponseWriter, r *http.Request) {
	from, err1 := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
	to, err2 := strconv.ParseInt(r.URL.Query().Get("to"), 10, 64)
	if err1 != nil || err2 != nil {
		http.Error(w, "from and to must be integers", http.StatusBadRequest)
		return
	}
	key := r.PathValue("key")
	s.mu.Lock()
	cur, ok := s.kv[key]
	swapped := ok && cur == from
	if swapped {
		s.kv[key] = to
	}
	s.mu.Unlock()
	if !swapped {
		http.Error(w, "compare failed", http.StatusConflict)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// forwarder passes every request on to the primary and its answer back.
type forwarder struct {
	primary string
	client  *http.Client
}

func (f *forwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64))
	if err != nil {
		http.Error(w, "reading request: "+err.Error(), http.StatusBadRequest)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, f.primary+r.URL.RequestURI(), strings.NewReader(string(body)))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp, err := f.client.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			// Never reached the primary: certainly not applied.
			w.Header().Set("Definite", "true")
			http.Error(w, "primary unreachable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		status := http.StatusGatewayTimeout
		if errors.Is(err, context.Canceled) {
			status = http.StatusServiceUnavailable
		}
		http.Error(w, "forwarding: "+err.Error(), status)
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}
