package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// Outbox defaults and limits.
const (
	// FirstRetryAfter is the backoff after the first failure; it doubles
	// with each further failure up to MaxRetryAfter, with ±25 % jitter.
	FirstRetryAfter = 30 * time.Second
	MaxRetryAfter   = time.Hour
	// DefaultMaxAttempts: after this many failures a message is kept as
	// failed and never tried again.
	DefaultMaxAttempts = 20
	defaultBatch       = 20
	defaultLease       = 2 * time.Minute
)

// Enqueuer is where Enqueue writes: a store or, better, the transaction
// that makes the change the message tells of.
type Enqueuer interface {
	EnqueueMail(ctx context.Context, m store.OutboundMail) error
}

// OutboxStore is what the drainer needs of the store.
type OutboxStore interface {
	ClaimDueMail(ctx context.Context, now, leaseUntil time.Time, limit int, upTo store.MailPriority) ([]store.OutboundMail, error)
	MarkMailSent(ctx context.Context, tenantID, id string, at time.Time) error
	MarkMailFailed(ctx context.Context, tenantID, id string, nextAttemptAt time.Time, lastError string) error
}

// OutboxConfig builds an Outbox.
type OutboxConfig struct {
	Store  OutboxStore
	Sealer *secret.Sealer
	Sender Sender
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Rand answers a number in [0, 1) for the backoff jitter; required.
	Rand func() float64
	// Batch is how many messages one Drain claims; 20 when zero.
	Batch int
	// Lease is how long a claimed message is kept from other drainers;
	// longer than a delivery can take. 2 minutes when zero.
	Lease time.Duration
	// MaxAttempts: 20 when zero.
	MaxAttempts int
}

// Outbox queues rendered messages in the store, sealed, and drains them
// through a Sender. Delivery is at least once: a node that dies between
// sending and recording it sends the message again after the lease.
type Outbox struct {
	c OutboxConfig
	// kick wakes the lane that sends everything, kickUrgent the one that
	// sends urgent mail only (see Run).
	kick, kickUrgent chan struct{}
}

// NewOutbox checks c.
func NewOutbox(c OutboxConfig) (*Outbox, error) {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("mail outbox: Store is required"))
	}
	if c.Sealer == nil {
		errs = append(errs, errors.New("mail outbox: Sealer is required"))
	}
	if c.Sender == nil {
		errs = append(errs, errors.New("mail outbox: Sender is required"))
	}
	if c.Logger == nil {
		errs = append(errs, errors.New("mail outbox: Logger is required"))
	}
	if c.Rand == nil {
		errs = append(errs, errors.New("mail outbox: Rand is required"))
	}
	if c.Batch < 0 || c.Lease < 0 || c.MaxAttempts < 0 {
		errs = append(errs, errors.New("mail outbox: Batch, Lease and MaxAttempts must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Batch == 0 {
		c.Batch = defaultBatch
	}
	if c.Lease == 0 {
		c.Lease = defaultLease
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	return &Outbox{c: c, kick: make(chan struct{}, 1), kickUrgent: make(chan struct{}, 1)}, nil
}

// Kick asks a running drainer of this process to drain now rather than at
// its next tick. Callers kick after the transaction holding their message
// has committed (a drainer cannot see it before), so a passcode arrives in
// seconds; other nodes' messages still go at their tick.
func (o *Outbox) Kick() {
	for _, lane := range []chan struct{}{o.kick, o.kickUrgent} {
		select {
		case lane <- struct{}{}:
		default: // a kick is already pending
		}
	}
}

// body is what is sealed: everything of a message but its envelope and
// subject.
type body struct {
	Text     string `json:"text"`
	HTML     string `json:"html"`
	FromName string `json:"fromName"`
}

// associated binds a sealed body to its row: copied to another it will
// not open.
func associated(tenantID, id string) []byte { return []byte("mail:" + tenantID + "/" + id) }

// Enqueue seals m and stores it in tx, due at once, and answers its id.
// Pass the transaction of the change the message tells of, so both commit
// or neither.
func (o *Outbox) Enqueue(ctx context.Context, tx Enqueuer, tenantID, kind string, m Message) (string, error) {
	if len(m.To) == 0 {
		return "", errors.New("enqueue mail: no recipient")
	}
	plain, err := json.Marshal(body{Text: m.Text, HTML: m.HTML, FromName: m.FromName})
	if err != nil {
		return "", fmt.Errorf("enqueue mail: %w", err)
	}
	now := o.c.Now()
	rec := store.OutboundMail{
		TenantID:      tenantID,
		ID:            secret.NewID(),
		Kind:          kind,
		To:            m.To,
		Cc:            m.Cc,
		Subject:       m.Subject,
		CreatedAt:     now,
		NextAttemptAt: now,
	}
	if m.Bulk {
		rec.Priority = store.MailBulk
	}
	rec.SealedBody = o.c.Sealer.Seal(plain, associated(tenantID, rec.ID))
	if err := tx.EnqueueMail(ctx, rec); err != nil {
		return "", err
	}
	return rec.ID, nil
}

// Open answers the message a stored record holds.
func Open(sealer *secret.Sealer, rec store.OutboundMail) (Message, error) {
	plain, err := sealer.Open(rec.SealedBody, associated(rec.TenantID, rec.ID))
	if err != nil {
		return Message{}, err
	}
	var b body
	if err := json.Unmarshal(plain, &b); err != nil {
		return Message{}, fmt.Errorf("open mail body: %w", err)
	}
	return Message{To: rec.To, Cc: rec.Cc, Subject: rec.Subject, Text: b.Text, HTML: b.HTML, FromName: b.FromName,
		Bulk: rec.Priority == store.MailBulk}, nil
}

// DrainResult counts what one Drain did.
type DrainResult struct {
	Sent, Failed, GaveUp int
}

// Drain makes one pass over every message due, urgent first (see
// DrainUpTo).
func (o *Outbox) Drain(ctx context.Context) (DrainResult, error) {
	return o.DrainUpTo(ctx, store.MailBulk)
}

// DrainUpTo makes one pass: it claims the messages due of priority upTo or
// more urgent, sends each and records the outcome, scheduling a failed one
// with backoff. It answers an error only when the store fails; a failed
// delivery is recorded, not returned.
func (o *Outbox) DrainUpTo(ctx context.Context, upTo store.MailPriority) (DrainResult, error) {
	var res DrainResult
	now := o.c.Now()
	claimed, err := o.c.Store.ClaimDueMail(ctx, now, now.Add(o.c.Lease), o.c.Batch, upTo)
	if err != nil {
		return res, err
	}
	var errs []error
	for _, rec := range claimed {
		if ctx.Err() != nil {
			break // the leases lapse; another pass sends them
		}
		log := o.c.Logger.With("tenant", rec.TenantID, "mail_id", rec.ID, "kind", rec.Kind)
		m, err := Open(o.c.Sealer, rec)
		if err == nil {
			log.DebugContext(ctx, "sending mail", "to", rec.To, "cc", rec.Cc)
			err = o.c.Sender.Send(ctx, m)
		}
		if err == nil {
			if err := o.c.Store.MarkMailSent(ctx, rec.TenantID, rec.ID, o.c.Now()); err != nil {
				errs = append(errs, fmt.Errorf("mail %s sent but not recorded: %w", rec.ID, err))
				continue
			}
			res.Sent++
			log.InfoContext(ctx, "mail sent", "attempt", rec.Attempts+1)
			continue
		}
		attempts := rec.Attempts + 1
		next := o.c.Now().Add(o.backoff(attempts))
		if attempts >= o.c.MaxAttempts || errors.Is(err, secret.ErrUnseal) {
			next = time.Time{}
		}
		reason := redactAddresses(err.Error())
		if err := o.c.Store.MarkMailFailed(ctx, rec.TenantID, rec.ID, next, truncate(reason, 1000)); err != nil {
			errs = append(errs, fmt.Errorf("record failure of mail %s: %w", rec.ID, err))
			continue
		}
		if next.IsZero() {
			res.GaveUp++
			log.ErrorContext(ctx, "mail not delivered; giving up", "attempts", attempts, "err", reason)
			continue
		}
		res.Failed++
		log.WarnContext(ctx, "mail not delivered; will retry", "attempts", attempts, "next_attempt", next, "err", reason)
	}
	return res, errors.Join(errs...)
}

// backoff answers the wait after the given number of failed attempts:
// FirstRetryAfter doubling to MaxRetryAfter, spread ±25 %.
func (o *Outbox) backoff(attempts int) time.Duration {
	d := FirstRetryAfter
	for i := 1; i < attempts && d < MaxRetryAfter; i++ {
		d *= 2
	}
	d = min(d, MaxRetryAfter)
	r := o.c.Rand()
	return time.Duration(float64(d) * (0.75 + 0.5*r))
}

// Run drains every 'every' until ctx ends, once at the start, and when
// kicked, in two lanes side by side: one sends only urgent mail, so a
// passcode never waits behind a batch of invitations; the other sends
// everything, urgent first.
func (o *Outbox) Run(ctx context.Context, every time.Duration) error {
	var wg sync.WaitGroup
	wg.Go(func() { o.runLane(ctx, every, store.MailUrgent, o.kickUrgent) })
	o.runLane(ctx, every, store.MailBulk, o.kick)
	wg.Wait()
	return nil
}

// runLane drains messages up to a priority until ctx ends: at once, every
// 'every' and when kicked.
func (o *Outbox) runLane(ctx context.Context, every time.Duration, upTo store.MailPriority, kick <-chan struct{}) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		// A full batch may mean more are due: go again at once.
		for {
			res, err := o.DrainUpTo(ctx, upTo)
			if err != nil && ctx.Err() == nil {
				o.c.Logger.WarnContext(ctx, "drain mail outbox", "err", err)
			}
			if err != nil || res.Sent+res.Failed+res.GaveUp < o.c.Batch || ctx.Err() != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-kick:
		}
	}
}

var addressPattern = regexp.MustCompile(`[^\s<>"'(),;:]+@[^\s<>"'(),;:]+`)

// redactAddresses keeps email addresses out of logs and stored errors:
// SMTP replies often quote the recipient.
func redactAddresses(s string) string { return addressPattern.ReplaceAllString(s, "[address]") }

// truncate cuts s to at most n bytes of valid UTF-8 (PostgreSQL refuses
// anything else in TEXT).
func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "")
}
