// Package store is Foyer's storage contract: the record types, the
// interfaces every back end implements, and the sentinel errors callers test
// with errors.Is. It holds no SQL; the back ends live in sqlstore and the
// conformance suite that both must pass in storetest.
package store
