package store

import (
	"context"
	"time"
)

// Outbox stores outbound email until it is delivered. A message is written
// in the same transaction as the change that causes it (an invitation, a
// passcode) and drained by any node: claims are leases decided by the
// database, so two nodes never send one message at once.
type Outbox interface {
	// EnqueueMail stores m as due at m.NextAttemptAt. ErrConflict for an id
	// taken in the tenant, ErrNotFound for an unknown tenant.
	EnqueueMail(ctx context.Context, m OutboundMail) error
	// ClaimDueMail leases up to limit unsent messages, of any tenant, of
	// priority upTo or more urgent, whose NextAttemptAt has come at now and
	// whose lease (if any) has lapsed, setting LeaseUntil to leaseUntil:
	// the most urgent first, then the oldest due. One conditional UPDATE …
	// RETURNING decides: of concurrent claimers each message goes to one.
	ClaimDueMail(ctx context.Context, now, leaseUntil time.Time, limit int, upTo MailPriority) ([]OutboundMail, error)
	// MarkMailSent records delivery at 'at' and clears the lease.
	// ErrNotFound when the message is not in the tenant or already sent.
	MarkMailSent(ctx context.Context, tenantID, id string, at time.Time) error
	// MarkMailFailed records a failed attempt: it increments Attempts,
	// clears the lease, sets LastError and schedules the next attempt at
	// nextAttemptAt. A zero nextAttemptAt gives up: the message is never
	// claimed again and stays, unsent, for operators to see. ErrNotFound
	// when the message is not in the tenant or is already sent.
	MarkMailFailed(ctx context.Context, tenantID, id string, nextAttemptAt time.Time, lastError string) error
	// MailBacklog answers how many messages, of every tenant, wait to be
	// sent (due or retrying; not given up), and when the oldest of them
	// was queued (zero when none waits).
	MailBacklog(ctx context.Context) (waiting int, oldest time.Time, err error)
	// ListMail answers messages newest first. An empty TenantID spans every
	// tenant, for operators and the development mailbox.
	ListMail(ctx context.Context, f MailFilter) ([]OutboundMail, error)
}

// OutboundMail is one queued email. The rendered bodies are sealed under the
// master key: they may carry one-time passcodes and redeem links.
type OutboundMail struct {
	TenantID string
	ID       string
	Kind     string // e.g. "invitation", "passcode"
	Priority MailPriority
	To       []string
	Cc       []string
	Subject  string
	// SealedBody is opaque to the store.
	SealedBody []byte
	CreatedAt  time.Time
	Attempts   int
	// NextAttemptAt is when the message is due; zero once the sender gave
	// up on it.
	NextAttemptAt time.Time
	LeaseUntil    *time.Time
	SentAt        *time.Time
	LastError     string
}

// MailPriority orders the outbox: lower goes first.
type MailPriority int

const (
	// MailUrgent is mail a person is waiting for: a passcode, a notice
	// about their sign-in methods.
	MailUrgent MailPriority = 0
	// MailBulk can wait behind it: invitations, which arrive by the
	// thousand.
	MailBulk MailPriority = 1
)

// MailFilter narrows ListMail. Zero values match everything.
type MailFilter struct {
	TenantID string
	Limit    int
}
