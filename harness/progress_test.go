package harness

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/faultline-io/faultline/harness/history"
)

func TestFaultTracker(t *testing.T) {
	var now int64
	rec := history.NewRecorder(func() int64 { now++; return now }, nil)
	var ft faultTracker
	nem := func(f string) {
		rec.Append(history.Op{Process: history.NemesisProcess, Type: history.Info, F: f})
	}
	if got := ft.active(rec); len(got) != 0 {
		t.Fatalf("no faults yet, got %v", got)
	}
	nem("start-partition")
	rec.Invoke(0, "read", "k", nil, "n1")
	nem("start-partition")
	nem("pause")
	if got := ft.active(rec); !slices.Equal(got, []string{"partition", "pause"}) {
		t.Errorf("active = %v, want partition and pause", got)
	}
	nem("stop-partition")
	nem("stop-partition")
	if got := ft.active(rec); !slices.Equal(got, []string{"pause"}) {
		t.Errorf("after stop-partition: %v", got)
	}
	if ft.next != rec.Len() {
		t.Errorf("tracker read up to %d of %d ops", ft.next, rec.Len())
	}
}

func TestRunReportsProgress(t *testing.T) {
	cfg := fakeConfig(t)
	cfg.TimeLimit = 2500 * time.Millisecond
	var mu sync.Mutex
	var got []Progress
	cfg.Progress = func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, p)
	}
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) < 2 {
		t.Fatalf("%d progress calls", len(got))
	}
	last := got[len(got)-1]
	if !last.Done || last.TimeLimit != cfg.TimeLimit || last.OK == 0 {
		t.Errorf("last progress %+v: want Done, the time limit and some ok ops", last)
	}
	for i, p := range got[:len(got)-1] {
		if p.Done {
			t.Errorf("progress %d is Done before the end", i)
		}
		if i > 0 && (p.OK < got[i-1].OK || p.Elapsed < got[i-1].Elapsed) {
			t.Errorf("progress went backwards: %+v after %+v", p, got[i-1])
		}
	}
}
