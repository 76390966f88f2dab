package dockerrt

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckStaticELF(t *testing.T) {
	dir := t.TempDir()
	notELF := filepath.Join(dir, "script")
	os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755)
	if err := checkStaticELF(notELF); err == nil {
		t.Error("a shell script was accepted")
	}
	// Any dynamically linked system binary will do.
	for _, p := range []string{"/bin/sh", "/bin/ls", "/usr/bin/env"} {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if err := checkStaticELF(p); err == nil || !strings.Contains(err.Error(), "dynamically linked") {
			t.Errorf("%s: err = %v, want 'dynamically linked' (it is not static on any usual system)", p, err)
		}
		break
	}
}

func TestNodeBinaryFromEnv(t *testing.T) {
	t.Setenv(EnvNodeBinary, "/nonexistent/faultline")
	if _, err := NodeBinary(); err == nil || !strings.Contains(err.Error(), EnvNodeBinary) {
		t.Fatalf("err = %v, want one naming %s", err, EnvNodeBinary)
	}
	// A test binary built with cgo (as under -race) is not static: the
	// error must say how to get a static one.
	t.Setenv(EnvNodeBinary, "")
	exe, _ := os.Executable()
	if err := checkStaticELF(exe); err != nil {
		_, err := NodeBinary()
		if err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") || !strings.Contains(err.Error(), EnvNodeBinary) {
			t.Fatalf("err = %v, want advice on CGO_ENABLED=0 and %s", err, EnvNodeBinary)
		}
	}
}

func TestBuildContext(t *testing.T) {
	buf, err := buildContext([]byte("binary"), map[string]string{"b.k": "v 2", "a.k": `q"uote`})
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(buf)
	modes := map[string]int64{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		modes[h.Name] = h.Mode
		if h.Name == "Dockerfile" {
			b, _ := io.ReadAll(tr)
			want := "FROM scratch\nCOPY rootfs/ /\nENTRYPOINT [\"/faultline\"]\nLABEL \"a.k\"=\"q\\\"uote\" \"b.k\"=\"v 2\"\n"
			if string(b) != want {
				t.Errorf("Dockerfile:\n%s\nwant:\n%s", b, want)
			}
		}
	}
	want := map[string]int64{"Dockerfile": 0o644, "rootfs/": 0o755, "rootfs/faultline": 0o755, "rootfs/tmp/": 0o1777, "rootfs/data/": 0o755}
	for n, m := range want {
		if modes[n] != m {
			t.Errorf("%s: mode %o, want %o", n, modes[n], m)
		}
	}
}

// An image for another program (EnsureImageFromBinary) has the binary at
// its path, with the parent directories, as the entrypoint.
func TestBuildContextAt(t *testing.T) {
	buf, err := buildContextAt([]byte("etcd"), "/usr/local/bin/etcd", nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(buf)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Name == "Dockerfile" {
			b, _ := io.ReadAll(tr)
			if want := "FROM scratch\nCOPY rootfs/ /\nENTRYPOINT [\"/usr/local/bin/etcd\"]\n"; string(b) != want {
				t.Errorf("Dockerfile:\n%s\nwant:\n%s", b, want)
			}
		}
	}
	want := "Dockerfile rootfs/ rootfs/usr/ rootfs/usr/local/ rootfs/usr/local/bin/ rootfs/usr/local/bin/etcd rootfs/tmp/ rootfs/data/"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("entries %s, want %s", got, want)
	}
}
