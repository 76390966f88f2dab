package httpkv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/targets/dockerrt"
)

// port is where the server listens inside every container.
const port = 8080

// binaryInImage is where the server sits in its image.
const binaryInImage = "/httpkv"

func init() {
	targets.Register(targets.Info{
		Name:    "httpkv",
		Summary: "example: an in-memory HTTP key-value server; n1 holds the data, the other nodes forward to it",
		Options: []targets.OptionSpec{
			{Name: "binary", Help: "the static server binary (go build ./examples/httpkv/server with CGO_ENABLED=0)"},
			{Name: "image", Help: "an image on this Docker host with the server at " + binaryInImage + " (instead of binary)"},
		},
	}, New)
}

// The compiler checks the capabilities the harness will look for.
var (
	_ targets.Killer          = (*Target)(nil)
	_ targets.Pauser          = (*Target)(nil)
	_ targets.Partitioner     = (*Target)(nil)
	_ targets.LogCollector    = (*Target)(nil)
	_ targets.KVClientFactory = (*Target)(nil)
	_ targets.LeaderFinder    = (*Target)(nil)
	_ targets.KVClient        = (*Client)(nil)
)

// Target is a running httpkv cluster.
type Target struct {
	setup   targets.Setup
	binary  string
	image   string
	rt      *dockerrt.Runtime
	cluster *dockerrt.Cluster
	nodes   []targets.Node
}

// New checks the options. It must not touch Docker: the harness calls it
// to validate a configuration before anything starts.
func New(s targets.Setup, opts targets.Options) (targets.Target, error) {
	t := &Target{setup: s, binary: opts["binary"], image: opts["image"]}
	if (t.binary == "") == (t.image == "") {
		return nil, errors.New("target httpkv: give exactly one of --target-opt binary=PATH or --target-opt image=REF")
	}
	if s.Nodes < 1 {
		return nil, errors.New("target httpkv: need at least one node")
	}
	return t, nil
}

// Name implements targets.Target.
func (t *Target) Name() string { return "httpkv" }

// Start provides the image, starts the nodes and waits until each answers
// its health check.
func (t *Target) Start(ctx context.Context) error {
	rt, err := dockerrt.Connect(ctx)
	if err != nil {
		return err
	}
	t.rt = rt // set at once, so that Teardown cleans up after a failed Start
	if t.binary != "" {
		// Tag by content: a rebuilt server gets a new image.
		b, err := os.ReadFile(t.binary)
		if err != nil {
			return fmt.Errorf("target httpkv: %w", err)
		}
		sum := sha256.Sum256(b)
		t.image, err = rt.EnsureImageFromBinary(ctx, "faultline-example-httpkv:"+hex.EncodeToString(sum[:6]), t.binary, binaryInImage)
		if err != nil {
			return err
		}
	} else if ok, err := rt.HasImage(ctx, t.image); err != nil || !ok {
		return fmt.Errorf("target httpkv: image %s is not on this Docker host (%v)", t.image, err)
	}
	// Partitions are nftables rules applied by sidecars running the
	// faultline binary, so they need a faultline node image.
	fl, err := dockerrt.NodeBinary()
	if err != nil {
		return err
	}
	sidecar, err := rt.EnsureImage(ctx, fl)
	if err != nil {
		return err
	}
	names := make([]string, t.setup.Nodes)
	for i := range names {
		names[i] = "n" + strconv.Itoa(i+1)
	}
	t.cluster, err = rt.CreateCluster(ctx, dockerrt.ClusterSpec{
		RunID: t.setup.RunID, Image: t.image, Nodes: names, Port: port,
		Entrypoint: []string{binaryInImage},
		Cmd: func(node string, i int) []string {
			args := []string{"--listen", ":" + strconv.Itoa(port)}
			if i > 0 {
				args = append(args, "--primary", fmt.Sprintf("http://%s:%d", names[0], port))
			}
			return args
		},
		SidecarImage: sidecar,
		Logf: func(format string, a ...any) {
			if t.setup.NodeLogs != nil {
				fmt.Fprintf(t.setup.NodeLogs, format+"\n", a...)
			}
		},
	})
	if err != nil {
		return err
	}
	for _, n := range names {
		t.nodes = append(t.nodes, targets.Node{Name: n, IP: t.cluster.IP(n), Addr: t.cluster.Addr(n)})
	}
	hctx, cancel := context.WithTimeout(ctx, targets.HealthTimeout)
	defer cancel()
	return t.WaitHealthy(hctx)
}

// WaitHealthy (the harness's optional HealthWaiter) polls /health on
// every node until all answer; a forwarding node answers only when it
// reaches the primary.
func (t *Target) WaitHealthy(ctx context.Context) error {
	for {
		err := t.healthy(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("httpkv not healthy: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (t *Target) healthy(ctx context.Context) error {
	for _, n := range t.nodes {
		c := NewClient(n.Addr)
		hctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := c.call(hctx, http.MethodGet, "/health", "")
		cancel()
		c.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", n.Name, err)
		}
	}
	return nil
}

// Leader implements targets.LeaderFinder: n1 always holds the data, so
// leader-targeted faults hit it.
func (t *Target) Leader(context.Context) (string, error) { return "n1", nil }

// Nodes implements targets.Target.
func (t *Target) Nodes() []targets.Node { return t.nodes }

// Teardown removes everything of the run, also after a partial Start.
func (t *Target) Teardown(ctx context.Context) error {
	if t.rt == nil {
		return nil
	}
	var err error
	if t.cluster != nil {
		err = t.cluster.Teardown(ctx)
	} else {
		_, err = t.rt.Clean(ctx, dockerrt.CleanOptions{RunID: t.setup.RunID})
	}
	return errors.Join(err, t.rt.Close())
}

// The fault capabilities are dockerrt.Cluster's; the harness calls them
// only after a successful Start.

func (t *Target) Kill(ctx context.Context, n string) error    { return t.cluster.Kill(ctx, n) }
func (t *Target) Restart(ctx context.Context, n string) error { return t.cluster.Restart(ctx, n) }
func (t *Target) Pause(ctx context.Context, n string) error   { return t.cluster.Pause(ctx, n) }
func (t *Target) Resume(ctx context.Context, n string) error  { return t.cluster.Resume(ctx, n) }
func (t *Target) Heal(ctx context.Context) error              { return t.cluster.Heal(ctx) }
func (t *Target) Partition(ctx context.Context, g targets.Grudge) error {
	return t.cluster.Partition(ctx, g)
}

// CollectLogs copies each node's output; the harness calls it even after
// a failed Start.
func (t *Target) CollectLogs(ctx context.Context, dir string) error {
	if t.cluster == nil {
		return nil
	}
	return t.cluster.CollectLogs(ctx, dir)
}

// NewKVClient implements targets.KVClientFactory: the register workload
// asks for one client per node.
func (t *Target) NewKVClient(n targets.Node) (targets.KVClient, error) {
	return NewClient(n.Addr), nil
}

// Client is the register workload's view of one node.
type Client struct {
	base string
	hc   *http.Client
}

// NewClient returns a client for the node at addr (host:port).
func NewClient(addr string) *Client {
	return &Client{base: "http://" + addr, hc: &http.Client{Transport: &http.Transport{}}}
}

// Read implements targets.KVClient.
func (c *Client) Read(ctx context.Context, key string) (int64, bool, error) {
	body, err := c.call(ctx, http.MethodGet, "/kv/"+url.PathEscape(key), "")
	if errors.Is(err, errNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	v, err := strconv.ParseInt(body, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("read %s: value %q: %w", key, body, err)
	}
	return v, true, nil
}

// Write implements targets.KVClient.
func (c *Client) Write(ctx context.Context, key string, value int64) error {
	_, err := c.call(ctx, http.MethodPut, "/kv/"+url.PathEscape(key), strconv.FormatInt(value, 10))
	return err
}

// CAS implements targets.KVClient: 409 is a comparison that failed, a
// definite no-op reported as swapped=false with a nil error.
func (c *Client) CAS(ctx context.Context, key string, from, to int64) (bool, error) {
	q := url.Values{"from": {strconv.FormatInt(from, 10)}, "to": {strconv.FormatInt(to, 10)}}
	_, err := c.call(ctx, http.MethodPost, "/cas/"+url.PathEscape(key)+"?"+q.Encode(), "")
	if errors.Is(err, errConflict) {
		return false, nil
	}
	return err == nil, err
}

// Close implements targets.KVClient.
func (c *Client) Close() error {
	c.hc.CloseIdleConnections()
	return nil
}

var (
	errNotFound = errors.New("no value")
	errConflict = errors.New("compare failed")
)

// call sends one request and maps the outcome onto what the history
// needs: an error wrapped with targets.Definite only when the operation
// certainly did not take effect, any other error when it may have.
func (c *Client) call(ctx context.Context, method, path, body string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, strings.NewReader(body))
	if err != nil {
		return "", targets.Definite(err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return "", targets.Definite(err) // no connection: nothing was sent
		}
		return "", err // sent, then timed out or broke: unknown
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if err != nil {
		return "", err // the answer was lost: unknown
	}
	text := strings.TrimSpace(string(b))
	switch {
	case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusNoContent:
		return text, nil
	case resp.StatusCode == http.StatusNotFound:
		return "", errNotFound
	case resp.StatusCode == http.StatusConflict:
		return "", errConflict
	case resp.StatusCode == http.StatusBadRequest || resp.Header.Get("Definite") == "true":
		return "", targets.Definite(fmt.Errorf("HTTP %d: %s", resp.StatusCode, text))
	default:
		return "", fmt.Errorf("HTTP %d: %s", resp.StatusCode, text)
	}
}
