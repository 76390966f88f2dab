// Package all links every bundled target, and every program that runs
// inside their containers, into a binary. Import it for its side effects;
// each target adds one file here with a blank import of its packages.
package all
