package etcd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/faultline-io/faultline/targets/dockerrt"
)

// Version is the etcd release the target builds; the nested build module
// (targets/etcd/etcdbuild/go.mod) requires exactly this version.
const Version = "v3.6.16"

// ImageRepo is the repository of locally built etcd images.
const ImageRepo = "faultline-etcd"

// BinaryInImage is where the etcd binary sits in every image the target
// uses: the official images (quay.io/coreos/etcd, gcr.io/etcd-development/
// etcd) keep it there too, so a named image runs with the same entrypoint.
const BinaryInImage = "/usr/local/bin/etcd"

// BuildModule is the module path of the nested build module.
const BuildModule = "github.com/faultline-io/faultline/targets/etcd/etcdbuild"

// buildModuleDir is the nested module's directory in a source tree.
var buildModuleDir = filepath.Join("targets", "etcd", "etcdbuild")

// ErrBuildUnavailable says etcd cannot be built on this machine: no Go
// toolchain, no faultline source tree, or etcd's modules cannot be
// downloaded. It is not a failure of the build itself.
var ErrBuildUnavailable = errors.New("cannot build etcd here")

// DefaultImage is the tag of the locally built image of Version.
func DefaultImage() string { return ImageRepo + ":" + Version }

// CachedBinary is where the built etcd binary is kept between runs:
// <user cache dir>/faultline/etcd/<Version>/linux-<arch>/etcd.
func CachedBinary() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("%w: no user cache directory: %v", ErrBuildUnavailable, err)
	}
	return filepath.Join(dir, "faultline", "etcd", Version, "linux-"+runtime.GOARCH, "etcd"), nil
}

// FindBuildModule finds the nested build module: in a directory above the
// working directory or above this executable (e.g. bin/faultline in a
// checkout), whichever holds targets/etcd/etcdbuild/go.mod naming
// BuildModule.
func FindBuildModule() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		if exe, err := filepath.EvalSymlinks(exe); err == nil {
			starts = append(starts, filepath.Dir(exe))
		}
	}
	for _, start := range starts {
		for d := start; ; d = filepath.Dir(d) {
			cand := filepath.Join(d, buildModuleDir)
			if isBuildModule(cand) {
				return cand, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", fmt.Errorf("%w: the etcd build module (%s) is not above the working directory or this executable; run from a faultline checkout", ErrBuildUnavailable, buildModuleDir)
}

func isBuildModule(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(first) == "module "+BuildModule
}

// goTool finds the go command.
func goTool() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: no Go toolchain (`go` is not on PATH)", ErrBuildUnavailable)
}

// BuildBinary builds the static etcd server from the nested module in dir
// into out (CGO_ENABLED=0, -trimpath). It first resolves etcd's modules;
// when that fails (no network, no module proxy) the error wraps
// ErrBuildUnavailable, while a failing compilation is a plain error.
func BuildBinary(ctx context.Context, dir, out string) error {
	goCmd, err := goTool()
	if err != nil {
		return err
	}
	env := append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH, "GOWORK=off")
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, goCmd, args...)
		cmd.Dir, cmd.Env = dir, env
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		err := cmd.Run()
		return buf.String(), err
	}
	// Listing the dependencies downloads exactly the modules the build
	// needs, so a failure here is about getting them, not compiling.
	if outp, err := run("list", "-mod=readonly", "-deps", "."); err != nil {
		return fmt.Errorf("%w: resolving etcd's modules (go list -deps in %s) failed: %v\n%s", ErrBuildUnavailable, dir, err, lastLines(outp, 15))
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("build etcd: %w", err)
	}
	// Build next to out and rename, so that a concurrent build or an
	// interrupted one never leaves a partial binary under the final name.
	tmp, err := os.CreateTemp(filepath.Dir(out), ".etcd-build-*")
	if err != nil {
		return fmt.Errorf("build etcd: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if outp, err := run("build", "-mod=readonly", "-buildvcs=false", "-trimpath", "-ldflags=-s -w", "-o", tmp.Name(), "."); err != nil {
		return fmt.Errorf("build etcd (go build in %s): %v\n%s", dir, err, lastLines(outp, 30))
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("build etcd: %w", err)
	}
	return nil
}

// EnsureBinary returns the cached etcd binary of Version, building it
// from the nested module when it is missing.
func EnsureBinary(ctx context.Context, logf func(string, ...any)) (string, error) {
	out, err := CachedBinary()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	dir, err := FindBuildModule()
	if err != nil {
		return "", err
	}
	logf("building etcd %s from %s (once; cached in %s)", Version, dir, filepath.Dir(out))
	if err := BuildBinary(ctx, dir, out); err != nil {
		return "", err
	}
	return out, nil
}

// PrepareImage returns DefaultImage, building it (and the etcd binary
// first, when it is not cached) when Docker does not have it.
func PrepareImage(ctx context.Context, rt *dockerrt.Runtime, logf func(string, ...any)) (string, error) {
	ref := DefaultImage()
	if ok, err := rt.HasImage(ctx, ref); err != nil || ok {
		return ref, err
	}
	bin, err := EnsureBinary(ctx, logf)
	if err != nil {
		if errors.Is(err, ErrBuildUnavailable) {
			return "", fmt.Errorf("etcd image %s is missing and %w.\nBuild it where Go and the Go module proxy are available with `make etcd-image` in a faultline checkout, or use --target-opt binary=PATH (a static etcd binary, e.g. from an etcd release tarball) or --target-opt image=REF (an etcd image already on this Docker host, e.g. quay.io/coreos/etcd:%s)", ref, err, Version)
		}
		return "", err
	}
	return rt.EnsureImageFromBinary(ctx, ref, bin, BinaryInImage)
}

// binaryImage returns the image for a user-supplied etcd binary, tagged by
// the binary's hash so that another binary gets another image.
func binaryImage(ctx context.Context, rt *dockerrt.Runtime, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("target etcd: option binary: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("target etcd: option binary: %w", err)
	}
	ref := ImageRepo + ":bin-" + hex.EncodeToString(h.Sum(nil))[:12]
	return rt.EnsureImageFromBinary(ctx, ref, path, BinaryInImage)
}

// namedImage checks that a user-named image is on the Docker host:
// faultline never pulls.
func namedImage(ctx context.Context, rt *dockerrt.Runtime, ref string) (string, error) {
	ok, err := rt.HasImage(ctx, ref)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("target etcd: image %s is not on this Docker host, and faultline never pulls images; run `docker pull %s` where a registry is reachable, or drop --target-opt image to build etcd %s locally", ref, ref, Version)
	}
	return ref, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
