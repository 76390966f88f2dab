package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/faultline-io/faultline/targets/dockerrt"
	"github.com/faultline-io/faultline/targets/etcd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "etcd-image:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	rt, err := dockerrt.Connect(ctx)
	if err != nil {
		return err
	}
	defer rt.Close()
	start := time.Now()
	logf := func(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...) }
	ref, err := etcd.PrepareImage(ctx, rt, logf)
	if err != nil {
		return err
	}
	logf("image %s ready in %.1fs", ref, time.Since(start).Seconds())
	fmt.Println(ref)
	return nil
}
