package dockerrt

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestConnectWithoutDaemon(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "nobody.sock")
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	_, err := Connect(context.Background())
	if err == nil {
		t.Fatal("Connect to a missing socket worked")
	}
	for _, want := range []string{"no Docker daemon answers at unix://" + sock, "start dockerd or set DOCKER_HOST"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestCleanReportString(t *testing.T) {
	r := CleanReport{Containers: 3, Networks: 1}
	if r.String() != "3 containers, 1 network, 0 images" || r.Total() != 4 {
		t.Errorf("%q %d", r, r.Total())
	}
}
