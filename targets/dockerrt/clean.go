package dockerrt

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
)

// CleanOptions selects what Clean removes.
type CleanOptions struct {
	RunID  string // "" = every faultline object
	Images bool   // also remove node images (they belong to no run, so only with RunID "")
}

// CleanReport counts what was removed.
type CleanReport struct {
	Containers int
	Networks   int
	Images     int
}

// Total is the number of objects removed.
func (r CleanReport) Total() int { return r.Containers + r.Networks + r.Images }

// String says what was removed, e.g. "3 containers, 1 network, 0 images".
func (r CleanReport) String() string {
	return plural(r.Containers, "container") + ", " + plural(r.Networks, "network") + ", " + plural(r.Images, "image")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// Clean removes the containers, then the networks (then the images when
// asked) that carry the owner label, of one run or of every run. Objects
// that vanish meanwhile are not errors. Running containers are removed
// too: do not clean a run in progress.
func (r *Runtime) Clean(ctx context.Context, opts CleanOptions) (CleanReport, error) {
	return r.removeObjects(ctx, runFilter(opts.RunID), opts.Images && opts.RunID == "")
}

// CleanOrphans removes the containers and networks that a controller on
// this host left behind when it died: those whose io.faultline.host is
// this host and whose io.faultline.pid no longer runs. Runs of live
// controllers (and of other hosts) are not touched, nor are images.
func (r *Runtime) CleanOrphans(ctx context.Context) (CleanReport, error) {
	f := filters.NewArgs(
		filters.Arg("label", LabelOwner+"="+OwnerValue),
		filters.Arg("label", LabelHost+"="+r.host),
	)
	alive := map[int]bool{}
	orphan := func(labels map[string]string) bool {
		pid, err := strconv.Atoi(labels[LabelPID])
		if err != nil || pid <= 0 || pid == r.pid {
			return false
		}
		a, ok := alive[pid]
		if !ok {
			a = pidAlive(pid)
			alive[pid] = a
		}
		return !a
	}
	return r.removeMatching(ctx, f, false, orphan)
}

func (r *Runtime) removeObjects(ctx context.Context, f filters.Args, images bool) (CleanReport, error) {
	return r.removeMatching(ctx, f, images, nil)
}

// removeMatching removes the containers, networks and (if images) images
// matching f and, when keep is not nil, keep(labels).
func (r *Runtime) removeMatching(ctx context.Context, f filters.Args, images bool, match func(map[string]string) bool) (CleanReport, error) {
	var rep CleanReport
	var errs []error
	ok := func(l map[string]string) bool { return match == nil || match(l) }

	cs, err := r.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return rep, fmt.Errorf("list containers: %w", err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, ct := range cs {
		if !ok(ct.Labels) {
			continue
		}
		wg.Go(func() {
			err := r.cli.ContainerRemove(ctx, ct.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				rep.Containers++
			case cerrdefs.IsNotFound(err):
			case isRemovalInProgress(err):
				// someone else (another Teardown) is removing it
			default:
				errs = append(errs, fmt.Errorf("remove container %s: %w", name(ct.Names, ct.ID), err))
			}
		})
	}
	wg.Wait()

	ns, err := r.cli.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		return rep, errors.Join(append(errs, fmt.Errorf("list networks: %w", err))...)
	}
	for _, n := range ns {
		if !ok(n.Labels) {
			continue
		}
		if err := ignoreNotFound(r.cli.NetworkRemove(ctx, n.ID)); err != nil {
			errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
		} else {
			rep.Networks++
		}
	}

	if images {
		is, err := r.cli.ImageList(ctx, image.ListOptions{Filters: f})
		if err != nil {
			return rep, errors.Join(append(errs, fmt.Errorf("list images: %w", err))...)
		}
		for _, im := range is {
			if !ok(im.Labels) {
				continue
			}
			_, err := r.cli.ImageRemove(ctx, im.ID, image.RemoveOptions{Force: true, PruneChildren: true})
			if err := ignoreNotFound(err); err != nil {
				errs = append(errs, fmt.Errorf("remove image %s: %w", name(im.RepoTags, im.ID), err))
			} else {
				rep.Images++
			}
		}
	}
	return rep, errors.Join(errs...)
}

func isRemovalInProgress(err error) bool {
	return cerrdefs.IsConflict(err) && containsFold(err.Error(), "already in progress")
}

func name(names []string, id string) string {
	if len(names) > 0 {
		return names[0]
	}
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// Leftovers lists the containers and networks carrying the owner label, of
// one run or (runID "") of every run: what Clean would remove. Tests use it
// to prove a run left nothing behind.
func (r *Runtime) Leftovers(ctx context.Context, runID string) ([]string, error) {
	f := runFilter(runID)
	var out []string
	cs, err := r.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	for _, c := range cs {
		out = append(out, "container "+name(c.Names, c.ID))
	}
	ns, err := r.cli.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	for _, n := range ns {
		out = append(out, "network "+n.Name)
	}
	return out, nil
}
