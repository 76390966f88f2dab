// Package uniqueids checks histories of the unique-ids workload, as
// Jepsen's unique-ids checker does: every {f: "generate"} that completed ok
// returned an id, and no id may be returned twice. It reports
// attempted-count, acknowledged-count, duplicated-count, the most
// duplicated ids with how often each came back, and the range of integer
// ids. Invalid when an id repeats; unknown when no generate completed ok.
// Ids are compared as their JSON text, so any scalar works.
package uniqueids
