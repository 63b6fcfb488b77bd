// Command bench is Foyer's side-by-side performance harness: `go run
// ./bench`. It builds foyer and the reference provider (bench/reference,
// zitadel/oidc's example server), starts the reference, Foyer on SQLite
// and, given a database, Foyer on PostgreSQL, each on its own loopback
// port, and runs the same `foyer bench` scenarios against each in turn,
// alternating (A B C A B C …) for --rounds rounds. Beside them it measures
// this machine's argon2id rate at Foyer's parameters and its RSA-2048
// signing rate with as many workers. It prints a Markdown table of
// medians, spreads and ratios to the reference (or JSON with -o json),
// with every run's load average. It owns the orchestration and the
// arithmetic; the load itself is `foyer bench`'s (internal/loadtest).
package main
