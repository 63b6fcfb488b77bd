// Package layering holds no code. Its tests keep every import between
// Foyer's packages, and every import of their tests, to the arrows that
// ARCHITECTURE.md lists (and the document to the imports the code has),
// and each third-party library in its one package.
package layering
