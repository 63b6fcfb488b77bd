// Package layering holds no code: its test keeps the import arrows of
// DESIGN.md's layout table true (cmd → idp, api → federation, keys →
// domain → store), and each third-party library in its one package.
package layering
