// Package deploy holds no code: its tests check what Foyer ships for
// running it elsewhere — the Dockerfiles, compose.yaml and the Helm chart
// in helm/foyer, rendered here with text/template and a few of Helm's
// template functions, since Helm itself is not at hand in CI. It owns
// neither the binary nor its configuration.
package deploy
