// Package edn reads and writes histories in EDN, the format Jepsen and
// Knossos store them in, so histories can be carried between those tools
// and faultline.
//
// A history file is one EDN vector or list of op maps, or a bare stream of
// op maps; ';' comments and '#_' discards are skipped and commas are
// whitespace. An op map has the keys
//
//	:process  a non-negative integer, or :nemesis
//	:type     :invoke, :ok, :fail or :info
//	:f        what was asked (:read, :write, :cas, :txn, :acquire, …)
//	:value    any EDN value (optional)
//	:time     nanoseconds (optional integer)
//	:index    position in the history (optional integer; the position is used when absent)
//	:error    why it failed (optional; a keyword or string, or any value kept as its EDN text)
//	:key      the independent key the op is about (optional; faultline's own extension)
//	:node     the node the client talked to (optional; faultline's own extension)
//
// in any order; other keys are ignored. Values become JSON in history.Op's
// Value: nil → null, keywords and symbols → their name as a string (":x" →
// "x"), strings → strings, integers and floats → numbers, vectors, lists
// and sets → arrays, maps → objects whose keys are strings (a keyword's
// name, a string, or the EDN text of any other key), tagged literals such as
// #inst "…" → the value they tag. EDN that JSON cannot hold (##NaN, ratios)
// is an error. Every error names the line and column where it was found.
//
// Encode writes the other way: one op map per line inside a vector, :f and
// :type as keywords, :process as an integer or :nemesis, values as EDN.
// JSON strings that are valid keyword names are written as keywords (so a
// txn value [["read","x",1]] becomes [[:read :x 1]], as Knossos expects)
// and other strings as EDN strings; JSON object keys likewise. Reading what
// Encode wrote gives back the same ops.
//
// The package is part of the pure core: no I/O beyond the reader and writer
// it is given.
package edn
