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

	cerrdefs "github.com/containerd/errdefs"
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
	return r.buildImage(ctx, tag, bin, "/faultline", labels)
}

// EnsureImageFromBinary returns ref (repo:tag), building it unless it
// exists, as an image FROM scratch holding the static binary binaryPath
// at path (absolute, e.g. /usr/local/bin/etcd), an empty /tmp (01777) and
// /data, and ENTRYPOINT [path]. It is how targets ship a system under
// test that is not the faultline binary. The caller picks a ref that
// changes with the binary (a version or a hash): an existing ref is used
// as it is. The image carries the owner label, so `faultline clean
// --images` removes it.
func (r *Runtime) EnsureImageFromBinary(ctx context.Context, ref, binaryPath, path string) (string, error) {
	if !strings.HasPrefix(path, "/") || strings.HasSuffix(path, "/") || strings.Contains(path, "..") {
		return "", fmt.Errorf("image %s: path in the image %q must be an absolute file path", ref, path)
	}
	r.imageMu.Lock()
	defer r.imageMu.Unlock()
	if _, err := r.cli.ImageInspect(ctx, ref); err == nil {
		return ref, nil
	}
	if err := checkStaticELF(binaryPath); err != nil {
		return "", fmt.Errorf("image %s: cannot ship %s into a FROM scratch image: %w", ref, binaryPath, err)
	}
	bin, err := os.ReadFile(binaryPath)
	if err != nil {
		return "", fmt.Errorf("image %s: %w", ref, err)
	}
	sum := sha256.Sum256(bin)
	labels := r.baseLabels("")
	labels[LabelRole] = RoleImage
	labels[LabelBinary] = hex.EncodeToString(sum[:])
	return r.buildImage(ctx, ref, bin, path, labels)
}

// HasImage reports whether ref (a name or id) exists on the daemon.
func (r *Runtime) HasImage(ctx context.Context, ref string) (bool, error) {
	_, err := r.cli.ImageInspect(ctx, ref)
	if err == nil {
		return true, nil
	}
	if cerrdefs.IsNotFound(err) {
		return false, nil
	}
	return false, fmt.Errorf("inspect image %s: %w", ref, err)
}

// buildImage builds tag FROM scratch with bin at path and ENTRYPOINT
// [path]; the caller holds imageMu.
func (r *Runtime) buildImage(ctx context.Context, tag string, bin []byte, path string, labels map[string]string) (string, error) {
	buildCtx, err := buildContextAt(bin, path, labels)
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

// dockerfile is a node image's Dockerfile, with the binary at entrypoint.
// COPY of a directory keeps the modes of what it holds, so tmp/ arrives as
// /tmp with mode 01777.
func dockerfile(entrypoint string, labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "FROM scratch\nCOPY rootfs/ /\nENTRYPOINT [%s]\n", strconv.Quote(entrypoint))
	if len(keys) > 0 {
		b.WriteString("LABEL")
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%s", strconv.Quote(k), strconv.Quote(labels[k]))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// buildContext is the tar build context of a faultline node image.
func buildContext(bin []byte, labels map[string]string) (*bytes.Buffer, error) {
	return buildContextAt(bin, "/faultline", labels)
}

// buildContextAt is a tar build context: the Dockerfile and rootfs/ with
// the binary at path (and its parent directories), tmp/ (01777) and data/.
func buildContextAt(bin []byte, path string, labels map[string]string) (*bytes.Buffer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	type entry struct {
		hdr  tar.Header
		body []byte
	}
	entries := []entry{
		{tar.Header{Name: "Dockerfile", Mode: 0o644, Typeflag: tar.TypeReg}, []byte(dockerfile(path, labels))},
		{tar.Header{Name: "rootfs/", Mode: 0o755, Typeflag: tar.TypeDir}, nil},
	}
	dirs := map[string]bool{"tmp": true, "data": true}
	rel := strings.TrimPrefix(path, "/")
	for i, c := range rel {
		if c == '/' && !dirs[rel[:i]] {
			dirs[rel[:i]] = true
			entries = append(entries, entry{tar.Header{Name: "rootfs/" + rel[:i] + "/", Mode: 0o755, Typeflag: tar.TypeDir}, nil})
		}
	}
	entries = append(entries,
		entry{tar.Header{Name: "rootfs/" + rel, Mode: 0o755, Typeflag: tar.TypeReg}, bin},
		entry{tar.Header{Name: "rootfs/tmp/", Mode: 0o1777, Typeflag: tar.TypeDir}, nil},
		entry{tar.Header{Name: "rootfs/data/", Mode: 0o755, Typeflag: tar.TypeDir}, nil},
	)
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
