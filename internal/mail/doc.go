// Package mail renders and delivers Foyer's email: the invitation templates
// with the tenant's branding (one folder per language, en-US the fallback),
// the durable outbox that queues messages in the caller's store
// transaction and drains them with retries and backoff, the SMTP sender
// (the only importer of go-mail) and, for development, a sender that
// delivers to the browser mailbox at /dev/mail. It does not decide who is
// invited or what a passcode is: callers hand it the data to render.
package mail
