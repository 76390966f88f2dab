package nodeclock

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Path is where nodes mount Handler on their HTTP port.
const Path = "/admin/clock"

// Ops a Command can name.
const (
	OpBump   = "bump"   // step the wall clock by Delta
	OpRate   = "rate"   // run at Rate from now on
	OpStrobe = "strobe" // flip by Delta every Period for Duration
	OpSet    = "set"    // impose Offset and Rate (0 means 1), and a strobe when Period > 0
	OpReset  = "reset"  // back to real time
)

// Command is one change to a clock, as JSON:
//
//	{"op":"bump","delta":"-2s"}
//	{"op":"rate","rate":0.25}
//	{"op":"strobe","delta":"5s","period":"10ms","duration":"3s"}
//	{"op":"set","offset":"1.5s","rate":0.5}
//	{"op":"reset"}
type Command struct {
	Op       string   `json:"op"`
	Delta    Duration `json:"delta,omitempty"`
	Rate     float64  `json:"rate,omitempty"`
	Period   Duration `json:"period,omitempty"`
	Duration Duration `json:"duration,omitempty"`
	Offset   Duration `json:"offset,omitempty"`
}

// Apply executes cmd and returns the clock's state after it.
func (c *Clock) Apply(cmd Command) (State, error) {
	var err error
	switch cmd.Op {
	case OpBump:
		c.Bump(time.Duration(cmd.Delta))
	case OpRate:
		err = c.SetRate(cmd.Rate)
	case OpStrobe:
		err = c.Strobe(time.Duration(cmd.Delta), time.Duration(cmd.Period), time.Duration(cmd.Duration))
	case OpSet:
		rate := cmd.Rate
		if rate == 0 {
			rate = 1
		}
		if err = checkRate(rate); err != nil {
			break
		}
		if cmd.Period < 0 || (cmd.Period > 0 && cmd.Duration <= 0) {
			err = fmt.Errorf("set: a strobe needs a positive period and duration, got %v and %v", cmd.Period, cmd.Duration)
			break
		}
		err = c.update(func(p *params, e int64) error {
			p.jump, p.drift, p.rate, p.strobePeriod = int64(cmd.Offset), 0, rate, 0
			if cmd.Period > 0 {
				setStrobe(p, e, time.Duration(cmd.Delta), time.Duration(cmd.Period), time.Duration(cmd.Duration))
			}
			return nil
		})
	case OpReset:
		c.Reset()
	default:
		err = fmt.Errorf("%w %q (have: %s)", ErrUnknownOp, cmd.Op, strings.Join([]string{OpBump, OpRate, OpStrobe, OpSet, OpReset}, ", "))
	}
	if err != nil {
		return State{}, err
	}
	return c.State(), nil
}

// Duration is a time.Duration that is a Go duration string in JSON
// ("1.5s"); it also accepts a number of nanoseconds.
type Duration time.Duration

// MarshalJSON writes a duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration: want a string such as \"1.5s\" or nanoseconds, got %s", b)
	}
	*d = Duration(n)
	return nil
}

// String is the time.Duration form.
func (d Duration) String() string { return time.Duration(d).String() }

// Handler serves the clock: GET answers its State, POST applies a JSON
// Command and answers the State after it. Errors are 400 with
// {"error": "…"}.
func (c *Clock) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, c.State())
		case http.MethodPost:
			var cmd Command
			dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&cmd); err != nil {
				writeJSON(w, http.StatusBadRequest, errorBody{"bad clock command: " + err.Error()})
				return
			}
			st, err := c.Apply(cmd)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, errorBody{err.Error()})
				return
			}
			writeJSON(w, http.StatusOK, st)
		default:
			w.Header().Set("Allow", "GET, POST")
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{"use GET or POST"})
		}
	})
}

type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// Get reads the clock of the node whose HTTP server is at base
// ("http://host:port").
func Get(ctx context.Context, hc *http.Client, base string) (State, error) {
	return call(ctx, hc, http.MethodGet, base, nil)
}

// Post applies cmd to the clock of the node at base and returns its state
// after it.
func Post(ctx context.Context, hc *http.Client, base string, cmd Command) (State, error) {
	b, err := json.Marshal(cmd)
	if err != nil {
		return State{}, err
	}
	return call(ctx, hc, http.MethodPost, base, b)
}

func call(ctx context.Context, hc *http.Client, method, base string, body []byte) (State, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(base, "/")+Path, bytes.NewReader(body))
	if err != nil {
		return State{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return State{}, fmt.Errorf("clock %s %s: %w", method, base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return State{}, fmt.Errorf("clock %s %s: %w", method, base, err)
	}
	if resp.StatusCode != http.StatusOK {
		var eb errorBody
		if json.Unmarshal(data, &eb) == nil && eb.Error != "" {
			return State{}, fmt.Errorf("clock %s %s: %s: %s", method, base, resp.Status, eb.Error)
		}
		return State{}, fmt.Errorf("clock %s %s: %s", method, base, resp.Status)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return State{}, fmt.Errorf("clock %s %s: bad answer: %w", method, base, err)
	}
	return st, nil
}
