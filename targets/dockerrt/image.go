package dockerrt

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/pkg/jsonmessage"
)

// EnvNodeBinary names the static faultline binary to ship into node
// images, overriding the controller's own executable.
const EnvNodeBinary = "FAULTLINE_NODE_BINARY"

// ImageRepo is the repository of node images; the tag is the first 12 hex
// digits of the binary's sha256.
const ImageRepo = "faultline-node"

// NodeBinary returns the path of the static faultline binary to put into
// node images: $FAULTLINE_NODE_BINARY when set, else this executable when
// it is a statically linked ELF file.
func NodeBinary() (string, error) {
	if p := os.Getenv(EnvNodeBinary); p != "" {
		if err := checkStaticELF(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvNodeBinary, p, err)
		}
		return p, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find this executable: %w; set %s to a static faultline binary", err, EnvNodeBinary)
	}
	if err := checkStaticELF(exe); err != nil {
		return "", fmt.Errorf("cannot ship %s into node containers: %w; build faultline with CGO_ENABLED=0 (e.g. `make build`) or set %s to a static linux faultline binary", exe, err, EnvNodeBinary)
	}
	return exe, nil
}

// checkStaticELF accepts an ELF executable without a program interpreter
// (PT_INTERP), i.e. one that runs in a FROM scratch image.
func checkStaticELF(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("not a Linux ELF executable: %w", err)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("ELF file of type %s is not an executable", f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("it is dynamically linked (has an ELF interpreter), and node images have no libc")
		}
	}
	return nil
}

// EnsureImage returns the tag of a node image holding binaryPath as
// /faultline, building it unless it exists. The tag is
// faultline-node:<first 12 hex digits of the binary's sha256>, so an
// unchanged binary is never rebuilt.
//
// The image is FROM scratch with /faultline, an empty /tmp (mode 01777)
// and an empty /data, and ENTRYPOINT ["/faultline"]. It is built with the
// classic builder from an in-memory context; nothing is pulled.
//
// Two processes may build the same tag at the same time: both builds
// succeed, the later one owns the tag, and the two images have the same
// content (the earlier one is left untagged, with the owner label, for
// Clean to remove).
func (r *Runtime) EnsureImage(ctx context.Context, binaryPath string) (string, error) {
	bin, err := os.ReadFile(binaryPath)
	if err != nil {
		return "", fmt.Errorf("read node binary: %w", err)
	}
	sum := sha256.Sum256(bin)
	full := hex.EncodeToString(sum[:])
	tag := ImageRepo + ":" + full[:12]

	r.imageMu.Lock()
	defer r.imageMu.Unlock()
	if _, err := r.cli.ImageInspect(ctx, tag); err == nil {
		return tag, nil
	}
	labels := r.baseLabels("")
	labels[LabelRole] = RoleImage
	labels[LabelBinary] = full
	buildCtx, err := buildContext(bin, labels)
	if err != nil {
		return "", err
	}
	res, err := r.cli.ImageBuild(ctx, buildCtx, build.ImageBuildOptions{
		Tags:        []string{tag},
		Dockerfile:  "Dockerfile",
		Remove:      true,
		ForceRemove: true,
		// The labels are one LABEL line of the Dockerfile rather than
		// ImageBuildOptions.Labels: the classic builder runs a step (an
		// intermediate container, ~0.8 s on fuse-overlayfs) per option
		// label, but one for a LABEL line with all of them.
		Version: build.BuilderV1, // classic builder: no BuildKit session, no registry
	})
	if err != nil {
		if r.builtElsewhere(ctx, tag) {
			return tag, nil
		}
		return "", fmt.Errorf("build image %s: %w", tag, err)
	}
	defer res.Body.Close()
	var out bytes.Buffer
	if err := jsonmessage.DisplayJSONMessagesStream(res.Body, &out, 0, false, nil); err != nil {
		if r.builtElsewhere(ctx, tag) {
			return tag, nil
		}
		return "", fmt.Errorf("build image %s: %w\n%s", tag, err, lastLines(out.String(), 20))
	}
	if _, err := r.cli.ImageInspect(ctx, tag); err != nil {
		return "", fmt.Errorf("build image %s: the build reported success but the tag is missing: %w\n%s", tag, err, lastLines(out.String(), 20))
	}
	return tag, nil
}

// builtElsewhere reports, after a failed build, whether the tag exists
// anyway, i.e. whether another process built it at the same time.
func (r *Runtime) builtElsewhere(ctx context.Context, tag string) bool {
	if ctx.Err() != nil {
		return false
	}
	_, err := r.cli.ImageInspect(ctx, tag)
	return err == nil
}

// dockerfile is the node image's Dockerfile. COPY of a directory keeps
// the modes of what it holds, so tmp/ arrives as /tmp with mode 01777.
func dockerfile(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("FROM scratch\nCOPY rootfs/ /\nENTRYPOINT [\"/faultline\"]\n")
	if len(keys) > 0 {
		b.WriteString("LABEL")
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%s", strconv.Quote(k), strconv.Quote(labels[k]))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// buildContext is the tar build context: the Dockerfile and rootfs/ with
// the binary, tmp/ (01777) and data/.
func buildContext(bin []byte, labels map[string]string) (*bytes.Buffer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	entries := []struct {
		hdr  tar.Header
		body []byte
	}{
		{tar.Header{Name: "Dockerfile", Mode: 0o644, Typeflag: tar.TypeReg}, []byte(dockerfile(labels))},
		{tar.Header{Name: "rootfs/", Mode: 0o755, Typeflag: tar.TypeDir}, nil},
		{tar.Header{Name: "rootfs/faultline", Mode: 0o755, Typeflag: tar.TypeReg}, bin},
		{tar.Header{Name: "rootfs/tmp/", Mode: 0o1777, Typeflag: tar.TypeDir}, nil},
		{tar.Header{Name: "rootfs/data/", Mode: 0o755, Typeflag: tar.TypeDir}, nil},
	}
	for _, e := range entries {
		h := e.hdr
		h.Size = int64(len(e.body))
		h.ModTime = epoch
		if err := tw.WriteHeader(&h); err != nil {
			return nil, fmt.Errorf("build context: %w", err)
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, fmt.Errorf("build context: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	}
	return &buf, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
