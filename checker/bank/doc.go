// Package bank checks histories of the bank workload, as Jepsen's bank
// checker does.
//
// Ops: {f: "transfer", value: {"from": A, "to": B, "amount": N}} and
// {f: "read"}, which completes ok with every balance read in one
// transaction, a JSON object from account name to integer. Every ok read
// must show exactly the configured accounts, each with a balance, none
// negative, summing to the configured total. Each kind of error — Jepsen's
// unexpected-key, nil-balance, negative-value, wrong-total — is reported
// with its count and its first, worst and last example. Invalid when any
// read has an error; unknown when no read completed or one could not be
// interpreted; valid otherwise.
package bank
