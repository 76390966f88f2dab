package testenv

import (
	"regexp"
	"testing"
)

func TestRunID(t *testing.T) {
	re := regexp.MustCompile(`^t[0-9a-f]{8}$`)
	seen := map[string]bool{}
	for range 100 {
		id := RunID(t)
		if !re.MatchString(id) {
			t.Fatalf("RunID() = %q", id)
		}
		if seen[id] {
			t.Fatalf("RunID() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestRequireDocker(t *testing.T) {
	// Skips without a daemon (fails with CI set); passes with one.
	RequireDocker(t)
	rt := Runtime(t)
	if rt.APIVersion() == "" {
		t.Error("no API version")
	}
}
