// Package testenv is shared set-up for tests that need Docker and the
// faultline node binary.
//
// Tests that start containers call RequireDocker first: without a daemon
// they are skipped, except when the CI environment variable is set, where
// a missing daemon fails them. NodeBinary builds cmd/faultline once per
// test process (static, CGO_ENABLED=0) and points FAULTLINE_NODE_BINARY
// at it, so dockerrt.NodeBinary and EnsureImage ship it into node images.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/faultline-io/faultline/targets/dockerrt"
)

// MainPackage is the package NodeBinary builds.
const MainPackage = "github.com/faultline-io/faultline/cmd/faultline"

var (
	dockerOnce sync.Once
	dockerErr  error

	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// RequireDocker skips the test when no Docker daemon answers, or fails it
// when the CI environment variable is set.
func RequireDocker(t testing.TB) {
	t.Helper()
	dockerOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		rt, err := dockerrt.Connect(ctx)
		if err != nil {
			dockerErr = err
			return
		}
		rt.Close()
	})
	if dockerErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("this test needs Docker, and CI is set: %v", dockerErr)
		}
		t.Skipf("skipping (no Docker; set CI to make this a failure): %v", dockerErr)
	}
}

// Runtime calls RequireDocker, connects, and closes the connection when the
// test ends.
func Runtime(t testing.TB) *dockerrt.Runtime {
	t.Helper()
	RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	rt, err := dockerrt.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	return rt
}

// NodeBinary returns the path of a static faultline binary built from this
// checkout, building it on the first call of the test process (`go build
// -trimpath` with CGO_ENABLED=0), and sets FAULTLINE_NODE_BINARY to it.
//
// If FAULTLINE_NODE_BINARY is already set when the process starts using
// it, that binary is used as it is (e.g. one from `make build`).
func NodeBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() { binPath, buildErr = buildNodeBinary() })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func buildNodeBinary() (string, error) {
	if p := os.Getenv(dockerrt.EnvNodeBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s is set but unusable: %w", dockerrt.EnvNodeBinary, err)
		}
		return p, nil
	}
	goCmd := goTool()
	out, err := exec.Command(goCmd, "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("find the module root with `go env GOMOD`: %q, %v", gomod, err)
	}
	sweepStale()
	dir, err := os.MkdirTemp("", fmt.Sprintf("faultline-testbin-%d-", os.Getpid()))
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "faultline")
	cmd := exec.Command(goCmd, "build", "-trimpath", "-o", bin, MainPackage)
	cmd.Dir = filepath.Dir(gomod)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("build the node binary (CGO_ENABLED=0 go build -trimpath %s in %s): %v\n%s", MainPackage, cmd.Dir, err, buf.String())
	}
	if err := os.Setenv(dockerrt.EnvNodeBinary, bin); err != nil {
		return "", err
	}
	return bin, nil
}

// goTool is the go command of the toolchain running the tests when it can
// be found, else the one on PATH.
func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}

// sweepStale removes binaries built by test processes that are gone
// (a test process cannot remove its own at exit).
func sweepStale() {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), "faultline-testbin-*"))
	for _, m := range matches {
		rest := strings.TrimPrefix(filepath.Base(m), "faultline-testbin-")
		pidStr, _, ok := strings.Cut(rest, "-")
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		os.RemoveAll(m)
	}
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || !errors.Is(err, os.ErrProcessDone)
}

// RunID returns a short unique run id for a test, e.g. "t3f9a01bc".
func RunID(t testing.TB) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "t" + hex.EncodeToString(b)
}
