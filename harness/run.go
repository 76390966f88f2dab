package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/history"
	"github.com/faultline-io/faultline/harness/store"
	"github.com/faultline-io/faultline/nemesis"
	"github.com/faultline-io/faultline/targets"
	"github.com/faultline-io/faultline/workloads"
)

// Outcome is what a run produced.
type Outcome struct {
	Dir         string // the run directory
	Results     checker.Results
	Interrupted bool
}

// ErrInterrupted says the run was stopped before its time limit (Ctrl-C).
// The history up to then is stored and checked.
var ErrInterrupted = errors.New("run interrupted")

// ConfigError says the run was refused before it started because of its
// configuration: bad usage, not a harness failure.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// HealthWaiter is the optional capability of targets that can tell when
// the cluster has recovered (e.g. every node agrees on a leader).
type HealthWaiter interface {
	WaitHealthy(ctx context.Context) error
}

// teardownTimeout bounds cleanup, which runs even after Ctrl-C.
const teardownTimeout = 2 * time.Minute

// Run performs one test. It returns an error only when the harness failed
// (or was interrupted); the verdict is in Outcome.Results. Whatever
// happens, the cluster is torn down before Run returns.
func Run(ctx context.Context, cfg Config) (out *Outcome, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, &ConfigError{err}
	}
	// Clients, the nemesis and the target all log; one lock keeps lines whole.
	cfg.Log = &lockedWriter{w: cfg.Log}
	r := &run{cfg: cfg, logf: func(format string, a ...any) {
		fmt.Fprintf(cfg.Log, format+"\n", a...)
	}}
	return r.run(ctx)
}

type run struct {
	cfg     Config
	logf    func(string, ...any)
	dir     string
	info    store.RunInfo
	rec     *history.Recorder
	target  targets.Target
	work    workloads.Workload
	nextPID atomic.Int64
	counts  [4]atomic.Int64 // completions by history.Type, for progress lines
}

func (r *run) run(ctx context.Context) (*Outcome, error) {
	cfg := r.cfg
	w, err := workloads.Lookup(cfg.Workload)
	if err != nil {
		return nil, err
	}
	r.work = w
	// Everything derived from the seed is drawn from separate streams, so
	// adding a fault does not change the op mix.
	opRand := rand.New(rand.NewPCG(uint64(cfg.Seed), 1))
	nemRand := rand.New(rand.NewPCG(uint64(cfg.Seed), 2))
	gen, err := w.NewGenerator(opRand, workloads.Params{Concurrency: cfg.Concurrency, Nodes: cfg.Nodes, Options: cfg.WorkloadOpts})
	if err != nil {
		return nil, &ConfigError{err}
	}
	runID := newRunID()
	target, err := targets.New(cfg.Target, targets.Setup{RunID: runID, Nodes: cfg.Nodes, NodeLogs: cfg.Log}, cfg.TargetOpts)
	if err != nil {
		return nil, &ConfigError{err}
	}
	r.target = target
	if err := w.Requires(target); err != nil {
		return nil, &ConfigError{err}
	}
	nodeNames := make([]string, cfg.Nodes)
	for i := range nodeNames {
		nodeNames[i] = fmt.Sprintf("n%d", i+1)
	}
	// "all" stands for every fault the target supports; one named
	// explicitly that it does not support is refused here, before Docker.
	faults, skipped, err := nemesis.Build(cfg.Nemesis, nemesis.Env{Target: target, Nodes: nodeNames, Rand: nemRand, Options: cfg.NemesisOpts})
	if err != nil {
		return nil, &ConfigError{err}
	}
	for _, s := range skipped {
		r.logf("nemesis all: skipping %s", s)
	}

	// From here on, the run has a directory and the history is streamed.
	start := time.Now()
	r.dir, err = store.NewRunDir(cfg.Store, cfg.Name, start)
	if err != nil {
		return nil, err
	}
	r.info = store.RunInfo{
		Name: cfg.Name, RunID: runID, Target: cfg.Target, TargetOpts: cfg.TargetOpts,
		Workload: cfg.Workload, WorkloadOpts: cfg.WorkloadOpts, Nemesis: cfg.Nemesis,
		NemesisIntervalNS: int64(cfg.NemesisInterval), Nodes: cfg.Nodes, Concurrency: cfg.Concurrency,
		Rate: cfg.Rate, TimeLimitNS: int64(cfg.TimeLimit), OpTimeoutNS: int64(cfg.OpTimeout),
		Seed: cfg.Seed, Command: cfg.Command, Version: cfg.Version, GoVersion: runtime.Version(),
		Start: start.UTC(), Balance: cfg.Balance,
	}
	if err := r.saveInfo(); err != nil {
		return nil, err
	}
	hf, err := os.OpenFile(filepath.Join(r.dir, store.HistoryFile), os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create history: %w", err)
	}
	defer hf.Close()
	base := time.Now()
	r.rec = history.NewRecorder(func() int64 { return int64(time.Since(base)) }, hf)
	r.logf("run %s: seed %d, directory %s", runID, cfg.Seed, r.dir)

	runErr := r.exercise(ctx, gen, faults)
	interrupted := errors.Is(runErr, ErrInterrupted)

	if err := r.rec.Err(); err != nil {
		runErr = errors.Join(runErr, err)
	}
	if err := hf.Sync(); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("sync history: %w", err))
	}
	r.info.End = time.Now().UTC()
	r.info.Interrupted = interrupted
	if runErr != nil {
		r.info.Error = runErr.Error()
	}
	if err := r.saveInfo(); err != nil {
		runErr = errors.Join(runErr, err)
	}
	_ = store.SetLatest(cfg.Store, r.dir)

	out := &Outcome{Dir: r.dir, Interrupted: interrupted}
	// Check what was recorded even after an interruption: the history is
	// real, and the verdict on it may still be useful.
	checkCtx := context.WithoutCancel(ctx)
	r.logf("checking %d ops", r.rec.Len())
	res, err := Analyze(checkCtx, r.dir, AnalyzeOptions{CheckTimeout: cfg.CheckTimeout})
	if err != nil {
		return out, errors.Join(runErr, err)
	}
	out.Results = res
	return out, runErr
}

func (r *run) saveInfo() error {
	return store.WriteJSON(filepath.Join(r.dir, store.RunFile), r.info)
}

// exercise starts the cluster, runs clients and nemesis until the time
// limit, heals, waits for recovery, runs the final ops and tears down.
func (r *run) exercise(ctx context.Context, gen workloads.Generator, faults []nemesis.Fault) (err error) {
	cfg := r.cfg
	cleanupCtx := context.WithoutCancel(ctx)
	defer func() {
		tctx, cancel := context.WithTimeout(cleanupCtx, teardownTimeout)
		defer cancel()
		if lc, ok := r.target.(targets.LogCollector); ok {
			if lerr := lc.CollectLogs(tctx, filepath.Join(r.dir, store.NodesDir)); lerr != nil {
				r.logf("collect node logs: %v", lerr)
			}
		}
		if terr := r.target.Teardown(tctx); terr != nil {
			err = errors.Join(err, fmt.Errorf("teardown: %w", terr))
		} else {
			r.logf("cluster removed")
		}
		if ctx.Err() != nil {
			err = errors.Join(err, ErrInterrupted)
		}
	}()

	r.logf("starting %d %s nodes", cfg.Nodes, cfg.Target)
	t0 := time.Now()
	if err := r.target.Start(ctx); err != nil {
		return fmt.Errorf("start %s cluster: %w", cfg.Target, err)
	}
	r.logf("cluster healthy in %.1fs", time.Since(t0).Seconds())
	if d, ok := r.target.(targets.Describer); ok {
		r.info.TargetInfo = d.Describe()
		if err := r.saveInfo(); err != nil {
			return err
		}
	}
	nodes := r.target.Nodes()
	if len(nodes) == 0 {
		return fmt.Errorf("target %s started no nodes", cfg.Target)
	}

	loadCtx, stopLoad := context.WithTimeout(ctx, cfg.TimeLimit)
	defer stopLoad()
	sched := &nemesis.Schedule{
		Faults: faults, Interval: cfg.NemesisInterval, Options: cfg.NemesisOpts, Warmup: cfg.NemesisInterval / 2,
		Rand: rand.New(rand.NewPCG(uint64(cfg.Seed), 3)), History: r.rec, Logf: r.logf,
	}
	// Faults that must check the running cluster (packet faults probe the
	// kernel, clock faults the nodes' clock control) refuse the run here,
	// before the load starts.
	if err := sched.Prepare(ctx); err != nil {
		return &ConfigError{fmt.Errorf("nemesis setup: %w", err)}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sched.Run(loadCtx)
	}()
	stopProgress := r.progress(loadCtx)
	r.nextPID.Store(int64(cfg.Concurrency))
	workerErr := r.runWorkers(loadCtx, gen, nodes)
	wg.Wait()
	stopProgress()
	if workerErr != nil {
		return workerErr
	}
	if ctx.Err() != nil {
		return nil // interrupted: the deferred teardown reports it
	}

	r.logf("time limit reached; healing every fault")
	if err := sched.HealAll(ctx); err != nil {
		r.logf("heal: %v", err)
	}
	if hw, ok := r.target.(HealthWaiter); ok {
		hctx, cancel := context.WithTimeout(ctx, cfg.RecoveryTimeout)
		t1 := time.Now()
		if err := hw.WaitHealthy(hctx); err != nil {
			r.logf("cluster not healthy after %v: %v (final reads may fail)", cfg.RecoveryTimeout, err)
		} else {
			r.logf("cluster recovered in %.1fs", time.Since(t1).Seconds())
		}
		cancel()
	}
	final := r.work.FinalOps(r.rec.Ops())
	r.logf("final ops: %d", len(final))
	r.runFinal(ctx, final, nodes)
	return nil
}

// runWorkers runs cfg.Concurrency client loops until ctx ends or the
// generator runs dry.
func (r *run) runWorkers(ctx context.Context, gen workloads.Generator, nodes []targets.Node) error {
	cfg := r.cfg
	pace := newPacer(cfg.Rate)
	var wg sync.WaitGroup
	errs := make([]error, cfg.Concurrency)
	for i := 0; i < cfg.Concurrency; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					errs[i] = fmt.Errorf("client worker %d panicked: %v", i, p)
				}
			}()
			errs[i] = r.worker(ctx, i, gen, nodes, pace)
		}(i)
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (r *run) worker(ctx context.Context, i int, gen workloads.Generator, nodes []targets.Node, pace *pacer) error {
	cfg := r.cfg
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(100+i)))
	clients := map[string]workloads.Client{}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	p := history.Process(i)
	for ctx.Err() == nil {
		if !pace.wait(ctx) {
			break
		}
		op, ok := gen.Next(p)
		if !ok {
			break
		}
		node := nodes[i%len(nodes)]
		if cfg.Balance == BalanceRandom {
			node = nodes[rng.IntN(len(nodes))]
		}
		c, err := r.client(clients, node)
		if err != nil {
			return err
		}
		if r.invoke(ctx, p, c, op, node) == history.Info {
			p = history.Process(r.nextPID.Add(1) - 1)
		}
	}
	return nil
}

func (r *run) client(clients map[string]workloads.Client, n targets.Node) (workloads.Client, error) {
	if c, ok := clients[n.Name]; ok {
		return c, nil
	}
	c, err := r.work.NewClient(r.target, n)
	if err != nil {
		return nil, err
	}
	clients[n.Name] = c
	return c, nil
}

// invoke records op, performs it with a deadline and records the outcome.
// The op runs to its own deadline even when the load phase ends, so the
// time limit does not turn ops into timeouts.
func (r *run) invoke(ctx context.Context, p history.Process, c workloads.Client, op workloads.Op, node targets.Node) history.Type {
	inv := r.rec.Invoke(p, op.F, op.Key, op.Value, node.Name)
	octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.OpTimeout)
	res := c.Invoke(octx, op)
	cancel()
	if res.Type == history.Invoke {
		res = workloads.Completion{Type: history.Info, Error: "client returned no outcome"}
	}
	if res.Value == nil && op.F != "read" {
		res.Value = inv.Value // Jepsen keeps the argument on the completion
	}
	r.counts[res.Type].Add(1)
	r.rec.Append(history.Op{Process: p, Type: res.Type, F: op.F, Key: op.Key, Value: res.Value, Error: res.Error, Node: node.Name})
	return res.Type
}

// finalAttempts is how many nodes a final op is tried on before giving up.
const finalAttempts = 5

// runFinal performs each final op on one node after another until one
// succeeds, each attempt under a fresh process.
func (r *run) runFinal(ctx context.Context, ops []workloads.Op, nodes []targets.Node) {
	clients := map[string]workloads.Client{}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	failed := 0
	for i, op := range ops {
		ok := false
		for a := 0; a < finalAttempts && !ok && ctx.Err() == nil; a++ {
			node := nodes[(i+a)%len(nodes)]
			c, err := r.client(clients, node)
			if err != nil {
				r.logf("final %s %s: %v", op.F, op.Key, err)
				continue
			}
			p := history.Process(r.nextPID.Add(1) - 1)
			ok = r.invoke(ctx, p, c, op, node) == history.OK
		}
		if !ok {
			failed++
		}
	}
	if failed > 0 {
		r.logf("%d of %d final ops did not succeed", failed, len(ops))
	}
}

// progress reports on the load phase until the returned func is called:
// to cfg.Progress about once a second (and once more when it ends) when
// set, else as a log line every few seconds.
func (r *run) progress(ctx context.Context) (stop func()) {
	done := make(chan struct{})
	start := time.Now()
	var ft faultTracker
	snap := func(last bool) Progress {
		return Progress{Elapsed: time.Since(start), TimeLimit: r.cfg.TimeLimit, OK: r.counts[history.OK].Load(),
			Fail: r.counts[history.Fail].Load(), Info: r.counts[history.Info].Load(), Faults: ft.active(r.rec), Done: last}
	}
	every := logInterval
	if r.cfg.Progress != nil {
		every = progressInterval
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if r.cfg.Progress != nil {
					r.cfg.Progress(snap(false))
					continue
				}
				r.logf("progress: %ds, %d ok, %d fail, %d info", int(time.Since(start).Seconds()),
					r.counts[history.OK].Load(), r.counts[history.Fail].Load(), r.counts[history.Info].Load())
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		if r.cfg.Progress != nil {
			r.cfg.Progress(snap(true))
		}
	}
}

func newRunID() string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b strings.Builder
	for i := 0; i < 8; i++ {
		b.WriteByte(letters[rand.IntN(len(letters))])
	}
	return b.String()
}

// lockedWriter serialises writes from many goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
