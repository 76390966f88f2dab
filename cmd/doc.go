// Package cmd is faultline's command line: one cobra command per file, and
// Main, the one place that maps errors to exit codes.
package cmd
