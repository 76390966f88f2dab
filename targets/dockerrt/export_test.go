package dockerrt

import (
	"context"

	"github.com/docker/docker/client"
)

// Exported for the tests in package dockerrt_test.

// Client is the runtime's Docker client, for assertions.
func (r *Runtime) Client() *client.Client { return r.cli }

// SetPID pretends the objects this runtime creates come from another
// controller process (to test CleanOrphans).
func (r *Runtime) SetPID(pid int) { r.pid = pid }

// Host is the hostname put into io.faultline.host.
func (r *Runtime) Host() string { return r.host }

// AppliedRules says which sources the cluster believes node drops right
// now (ok=false when it never applied anything there).
func (c *Cluster) AppliedRules(node string) (key string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rec, ok := c.applied[node]
	return rec.key, ok
}

var IsSubnetClash = isSubnetClash

// RunNetfault runs the netfault sidecar on a node directly, bypassing the
// grudge bookkeeping.
func (c *Cluster) RunNetfault(ctx context.Context, node string, args ...string) error {
	return c.runSidecar(ctx, node, c.ids[node], args)
}
