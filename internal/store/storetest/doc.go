// Package storetest is the conformance suite every store back end must pass:
// Run covers the contract method by method, tenant isolation and cascades;
// RunConcurrency covers the races the database must decide. It holds no back
// end of its own; each back end's tests call it with a constructor.
package storetest
