package linearizable

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"
	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/harness/history"
)

// NemesisTag is the annotation row nemesis windows are drawn in.
const NemesisTag = "nemesis"

// nemesisAnnotations turns the nemesis windows of the history into
// Porcupine annotations.
func nemesisAnnotations(ops []history.Op) []porcupine.Annotation {
	ws := checker.NemesisWindows(ops)
	if len(ws) == 0 {
		return nil
	}
	as := make([]porcupine.Annotation, 0, len(ws))
	for _, w := range ws {
		details := fmt.Sprintf("%s at %s", w.StartF, seconds(w.Start))
		if w.Open {
			details += ", never healed"
		} else {
			details += fmt.Sprintf(", %s done at %s", w.StopF, seconds(w.End))
		}
		as = append(as, porcupine.Annotation{
			Tag:             NemesisTag,
			Start:           w.Start,
			End:             w.End,
			Description:     w.Kind,
			Details:         details,
			BackgroundColor: "#f8d9a0",
		})
	}
	return as
}

// WriteVisualizations writes Porcupine's HTML page for every key of r that
// has linearization info (the failing keys, and every key of a small
// history) as <dir>/<key>.html, and returns the file names written,
// relative to dir, in key order. The nemesis windows of the history and
// the extra annotations (whose Tag or ClientId says where they are drawn)
// are shown on each page, clipped to the key's time span.
//
// r must come from this package's checker in this process: linearization
// info is not serialized, so a Result read back from results.json has none
// and yields an error.
func WriteVisualizations(r checker.Result, dir string, extra ...porcupine.Annotation) ([]string, error) {
	var d *Details
	switch v := r.Details.(type) {
	case *Details:
		d = v
	case Details:
		d = &v
	}
	if d == nil {
		return nil, errors.New("linearizable: result has no linearization info (was it read back from disk?)")
	}
	if len(d.Info) == 0 {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("linearizable: %w", err)
	}
	keys := d.Visualizable
	if len(keys) != len(d.Info) { // Details built by hand
		keys = keys[:0:0]
		for k := range d.Info {
			keys = append(keys, k)
		}
	}
	annotations := append(append([]porcupine.Annotation(nil), d.Annotations...), extra...)
	model := d.Spec()
	var names []string
	used := map[string]bool{}
	for _, key := range sortedCopy(keys) {
		info, ok := d.Info[key]
		if !ok {
			continue
		}
		name := FileName(key)
		for i := 2; used[name]; i++ {
			name = fmt.Sprintf("%s-%d.html", strings.TrimSuffix(FileName(key), ".html"), i)
		}
		used[name] = true
		span, hasSpan := d.spans[key]
		// Copy, so annotations added here do not stick to d.Info.
		li := info
		li.AddAnnotations(clip(annotations, span, hasSpan))
		if err := writeOne(model, li, filepath.Join(dir, name)); err != nil {
			return names, fmt.Errorf("linearizable: visualize key %q: %w", key, err)
		}
		names = append(names, name)
	}
	return names, nil
}

func writeOne(model porcupine.Model, li porcupine.LinearizationInfo, path string) (err error) {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("porcupine: %v", p)
		}
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = porcupine.Visualize(model, li, f); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// clip keeps the annotations that overlap [span[0], span[1]] and cuts them
// to it, so a key's page is not stretched over the whole run.
func clip(as []porcupine.Annotation, span [2]int64, ok bool) []porcupine.Annotation {
	if !ok {
		return as
	}
	out := make([]porcupine.Annotation, 0, len(as))
	for _, a := range as {
		end := max(a.End, a.Start)
		if end < span[0] || a.Start > span[1] {
			continue
		}
		a.Start = max(a.Start, span[0])
		a.End = min(end, span[1])
		out = append(out, a)
	}
	return out
}

// FileName is the file a key's visualization is written to: the key when
// it is a safe file name, else a sanitized form with a hash of the key.
func FileName(key string) string {
	const maxLen = 80
	var b strings.Builder
	for _, r := range key {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if s == key && s != "" && s[0] != '.' && len(s) <= maxLen {
		return s + ".html"
	}
	if len(s) > maxLen {
		s = s[:maxLen]
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	return fmt.Sprintf("key-%s-%08x.html", strings.Trim(s, "._"), h.Sum32())
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
