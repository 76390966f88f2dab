package dockerrt

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/docker/docker/client"
)

// Label keys put on every object faultline creates.
const (
	LabelOwner = "io.faultline.owner" // always OwnerValue
	LabelRun   = "io.faultline.run"   // the run id
	LabelPID   = "io.faultline.pid"   // pid of the controller that created the object
	LabelHost  = "io.faultline.host"  // hostname of that controller
	LabelNode  = "io.faultline.node"  // node name (node containers and their sidecars)
	LabelRole  = "io.faultline.role"  // RoleNode, RoleSidecar or RoleImage
	// LabelBinary is the sha256 of the faultline binary inside an image.
	LabelBinary = "io.faultline.binary-sha256"

	OwnerValue  = "faultline"
	RoleNode    = "node"
	RoleSidecar = "sidecar"
	RoleImage   = "image"
)

// Runtime is a connection to one Docker daemon.
type Runtime struct {
	cli  *client.Client
	host string // this controller's hostname, for io.faultline.host
	pid  int

	imageMu sync.Mutex // one EnsureImage at a time per Runtime
}

// Connect connects to the daemon named by the environment (DOCKER_HOST,
// DOCKER_CERT_PATH, …, as the docker CLI does), negotiates the API version
// and checks that the daemon answers.
func Connect(ctx context.Context) (*Runtime, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client from environment: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ping, err := cli.Ping(pctx)
	if err != nil {
		host := cli.DaemonHost()
		cli.Close()
		return nil, fmt.Errorf("no Docker daemon answers at %s: %v; start dockerd or set DOCKER_HOST", host, err)
	}
	cli.NegotiateAPIVersionPing(ping)
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return &Runtime{cli: cli, host: host, pid: os.Getpid()}, nil
}

// Close releases the connection.
func (r *Runtime) Close() error { return r.cli.Close() }

// APIVersion is the API version negotiated with the daemon, e.g. "1.41".
func (r *Runtime) APIVersion() string { return r.cli.ClientVersion() }

// DaemonHost is the daemon's address, e.g. unix:///var/run/docker.sock.
func (r *Runtime) DaemonHost() string { return r.cli.DaemonHost() }

// baseLabels are the labels of every object of a run.
func (r *Runtime) baseLabels(runID string) map[string]string {
	l := map[string]string{
		LabelOwner: OwnerValue,
		LabelPID:   strconv.Itoa(r.pid),
		LabelHost:  r.host,
	}
	if runID != "" {
		l[LabelRun] = runID
	}
	return l
}
