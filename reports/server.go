package reports

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// Server serves a store read-only over HTTP: the index of runs at /, and
// the files of the store below it (reports, histories, logs, Porcupine
// pages).
//
// Files are opened through an os.Root, so no path — with "..", encoded or
// not, absolute, or through a symbolic link pointing outside the store —
// can reach a file outside it; requests whose path has a ".." segment are
// refused before that. Only GET and HEAD are answered.
type Server struct {
	dir   string
	root  *os.Root
	files http.Handler
}

// NewServer opens the store at dir for serving. Close releases it.
func NewServer(dir string) (*Server, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return &Server{dir: dir, root: root, files: http.FileServerFS(root.FS())}, nil
}

// Close releases the store.
func (s *Server) Close() error { return s.root.Close() }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// Reports are self-contained: inline script and style, nothing fetched
	// from elsewhere; a report cannot talk to any server, this one included.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'none'; frame-ancestors 'self'")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "read-only: only GET and HEAD", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") || hasDotDot(p) || hasDotDot(r.URL.RawPath) {
		http.Error(w, "bad path", http.StatusBadRequest)
		return
	}
	if p == "/" || p == "/index.html" {
		s.index(w, r)
		return
	}
	s.files.ServeHTTP(w, r)
}

func hasDotDot(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return true
		}
	}
	return false
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	ix, err := ScanStore(s.dir)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := ix.WriteHTML(&buf, ""); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(buf.Bytes())
}
