package mail_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/mail"
	"github.com/foyer-idp/foyer/internal/mail/mailtest"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/internal/testclock"
	"github.com/foyer-idp/foyer/internal/testlog"
)

type fixture struct {
	store    store.Store
	sealer   *secret.Sealer
	clock    *testclock.Clock
	tenantID string
	addr     string
	logs     *testlog.Buffer
}

func newFixture(t *testing.T, b sqltest.Backend) *fixture {
	t.Helper()
	s := b.OpenMigrated(t)
	tn := store.Tenant{ID: secret.NewID(), Slug: "woodgrove", DisplayName: "Woodgrove Bank", SigningAlg: "ES256",
		CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	require.NoError(t, s.CreateTenant(t.Context(), tn))
	return &fixture{
		store:    s,
		sealer:   secret.GenerateMasterKey().Sealer("mail"),
		clock:    testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)),
		tenantID: tn.ID,
		addr:     mailtest.FreeAddr(t),
		logs:     &testlog.Buffer{},
	}
}

func (f *fixture) outbox(t *testing.T, sender mail.Sender, maxAttempts int) *mail.Outbox {
	t.Helper()
	return f.outboxOfBatch(t, sender, maxAttempts, 5)
}

func (f *fixture) outboxOfBatch(t *testing.T, sender mail.Sender, maxAttempts, batch int) *mail.Outbox {
	t.Helper()
	rnd := rand.New(rand.NewPCG(1, 2))
	var mu sync.Mutex
	o, err := mail.NewOutbox(mail.OutboxConfig{
		Store:  f.store,
		Sealer: f.sealer,
		Sender: sender,
		Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Now:    f.clock.Now,
		Rand: func() float64 {
			mu.Lock()
			defer mu.Unlock()
			return rnd.Float64()
		},
		Batch:       batch,
		MaxAttempts: maxAttempts,
	})
	require.NoError(t, err)
	return o
}

func (f *fixture) smtpSender(t *testing.T) *mail.SMTPSender {
	t.Helper()
	s, err := mail.NewSMTPSender(mail.SMTPConfig{
		URL:     "smtp+insecure://" + f.addr + "?from=no-reply@id.example",
		Timeout: 5 * time.Second,
	})
	require.NoError(t, err)
	return s
}

func renderInvitation(t *testing.T, to string) mail.Message {
	t.Helper()
	m, err := mail.Render(mail.InvitationData{
		To:        []string{to},
		Brand:     mail.Branding{Name: "Woodgrove Bank", AccentColor: "#0055aa", SenderName: "Woodgrove IT"},
		Inviter:   "Alex Wilber",
		Message:   "See you <soon>",
		RedeemURL: "https://id.example/t/woodgrove/redeem?token=redeem-" + secret.NewID(),
		BlockURL:  "https://id.example/t/woodgrove/block?token=block-8dKq",
	})
	require.NoError(t, err)
	return m
}

func (f *fixture) enqueue(t *testing.T, o *mail.Outbox, m mail.Message) string {
	t.Helper()
	var id string
	err := f.store.InTx(t.Context(), func(tx store.Store) error {
		var err error
		id, err = o.Enqueue(t.Context(), tx, f.tenantID, "invitation", m)
		return err
	})
	require.NoError(t, err)
	return id
}

func (f *fixture) get(t *testing.T, id string) store.OutboundMail {
	t.Helper()
	list, err := f.store.ListMail(t.Context(), store.MailFilter{TenantID: f.tenantID})
	require.NoError(t, err)
	for _, m := range list {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("mail %s not found", id)
	return store.OutboundMail{}
}

// TestOutboxSurvivesAnSMTPOutage: mail queued while the server is down
// waits, with backoff, and goes out exactly once when it is back.
func TestOutboxSurvivesAnSMTPOutage(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		f := newFixture(t, b)
		o := f.outbox(t, f.smtpSender(t), 0)
		msg := renderInvitation(t, "bo@fabrikam.example")
		id := f.enqueue(t, o, msg)

		res, err := o.Drain(t.Context())
		require.NoError(t, err)
		require.Equal(t, mail.DrainResult{Failed: 1}, res)
		rec := f.get(t, id)
		require.Nil(t, rec.SentAt)
		require.Equal(t, 1, rec.Attempts)
		require.Nil(t, rec.LeaseUntil)
		require.NotEmpty(t, rec.LastError)
		wait := rec.NextAttemptAt.Sub(f.clock.Now())
		require.GreaterOrEqual(t, wait, mail.FirstRetryAfter*3/4, "backoff")
		require.LessOrEqual(t, wait, mail.FirstRetryAfter*5/4)

		res, err = o.Drain(t.Context())
		require.NoError(t, err)
		require.Equal(t, mail.DrainResult{}, res, "not before the next attempt")

		f.clock.Advance(wait)
		srv := mailtest.StartSMTP(t, f.addr, nil)
		res, err = o.Drain(t.Context())
		require.NoError(t, err)
		require.Equal(t, mail.DrainResult{Sent: 1}, res)

		got := srv.Messages()
		require.Len(t, got, 1, "exactly one delivery")
		require.Equal(t, "no-reply@id.example", got[0].From)
		require.Equal(t, []string{"bo@fabrikam.example"}, got[0].To)
		requireMultipart(t, got[0], msg)
		rec = f.get(t, id)
		require.Equal(t, f.clock.Now(), *rec.SentAt)

		res, err = o.Drain(t.Context())
		require.NoError(t, err)
		require.Equal(t, mail.DrainResult{}, res, "a second drain sends nothing")
		f.clock.Advance(time.Hour)
		_, err = o.Drain(t.Context())
		require.NoError(t, err)
		require.Len(t, srv.Messages(), 1)

		require.NotContains(t, f.logs.String(), "bo@fabrikam.example", "addresses only at debug")
		require.NotContains(t, f.logs.String(), "redeem-", "never a body")
	})
}

// requireMultipart checks the delivered message is multipart/alternative
// text and HTML with the rendered parts.
func requireMultipart(t *testing.T, r mailtest.Received, want mail.Message) {
	t.Helper()
	got, err := r.Parse()
	require.NoError(t, err)
	require.Equal(t, want.Subject, got.Subject)
	require.Equal(t, "Woodgrove IT", got.FromName)
	require.Equal(t, "multipart/alternative", got.MediaType)
	require.Equal(t, want.Text, got.Text)
	require.Equal(t, want.HTML, got.HTML)
}

// TestConcurrentDrainersDeliverOnce: two nodes draining one outbox at
// once send each message once.
func TestConcurrentDrainersDeliverOnce(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		f := newFixture(t, b)
		srv := mailtest.StartSMTP(t, f.addr, nil)
		nodes := []*mail.Outbox{f.outbox(t, f.smtpSender(t), 0), f.outbox(t, f.smtpSender(t), 0)}
		const n = 12
		ids := map[string]bool{}
		for i := range n {
			ids[f.enqueue(t, nodes[0], renderInvitation(t, fmt.Sprintf("guest%02d@fabrikam.example", i)))] = true
		}
		for range 3 { // batches of 5: three rounds empty the queue
			var wg sync.WaitGroup
			errs := make([]error, len(nodes))
			for i, o := range nodes {
				wg.Go(func() { _, errs[i] = o.Drain(t.Context()) })
			}
			wg.Wait()
			for _, err := range errs {
				require.NoError(t, err)
			}
		}
		got := srv.Messages()
		require.Len(t, got, n)
		seen := map[string]bool{}
		for _, m := range got {
			require.False(t, seen[m.To[0]], "%s delivered twice", m.To[0])
			seen[m.To[0]] = true
		}
		for id := range ids {
			require.NotNil(t, f.get(t, id).SentAt)
		}
	})
}

// TestBodiesAreSealedAtRest: the stored row holds no body text.
func TestBodiesAreSealedAtRest(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		f := newFixture(t, b)
		o := f.outbox(t, mail.DevSender{}, 0)
		msg := renderInvitation(t, "bo@fabrikam.example")
		id := f.enqueue(t, o, msg)
		rec := f.get(t, id)
		redeem := msg.Text[strings.Index(msg.Text, "https://id.example/t/woodgrove/redeem"):]
		redeem = redeem[:strings.IndexByte(redeem, '\n')]
		raw := fmt.Sprintf("%+v %s", rec, rec.SealedBody)
		for _, plain := range []string{redeem, "redeem?token", "Be careful", "See you", "Woodgrove IT"} {
			require.NotContains(t, raw, plain)
		}
		opened, err := mail.Open(f.sealer, rec)
		require.NoError(t, err)
		require.Equal(t, msg, opened)

		moved := rec
		moved.ID = secret.NewID()
		_, err = mail.Open(f.sealer, moved)
		require.ErrorIs(t, err, secret.ErrUnseal, "a body copied to another row does not open")
	})
}

// TestOutboxGivesUp: after MaxAttempts failures a message stays failed and
// is never tried again.
func TestOutboxGivesUp(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		f := newFixture(t, b)
		o := f.outbox(t, f.smtpSender(t), 3) // the server never comes up
		id := f.enqueue(t, o, renderInvitation(t, "bo@fabrikam.example"))
		var waits []time.Duration
		for attempt := 1; attempt <= 3; attempt++ {
			res, err := o.Drain(t.Context())
			require.NoError(t, err)
			rec := f.get(t, id)
			require.Equal(t, attempt, rec.Attempts)
			if attempt < 3 {
				require.Equal(t, mail.DrainResult{Failed: 1}, res)
				waits = append(waits, rec.NextAttemptAt.Sub(f.clock.Now()))
				f.clock.Advance(time.Hour)
				continue
			}
			require.Equal(t, mail.DrainResult{GaveUp: 1}, res)
			require.True(t, rec.NextAttemptAt.IsZero())
			require.Equal(t, "failed", mail.Status(rec))
		}
		require.Greater(t, waits[1], waits[0], "the backoff grows")
		f.clock.Advance(100 * time.Hour)
		res, err := o.Drain(t.Context())
		require.NoError(t, err)
		require.Equal(t, mail.DrainResult{}, res)
	})
}

// TestDevMailbox: dev mail lands in the outbox, is marked sent by the dev
// sender and reads in the browser, escaped.
func TestDevMailbox(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		f := newFixture(t, b)
		o := f.outbox(t, mail.DevSender{}, 0)
		msg := renderInvitation(t, "bo@fabrikam.example")
		msg.Subject = `Hello <script>alert(1)</script>`
		msg.Text += "\nNot links: javascript:alert(1) and http://x.example/\"><script>alert(2)</script>.\n"
		id := f.enqueue(t, o, msg)
		res, err := o.Drain(t.Context())
		require.NoError(t, err)
		require.Equal(t, mail.DrainResult{Sent: 1}, res)

		srv := httptest.NewServer(&mail.DevMailbox{Store: f.store, Sealer: f.sealer, Prefix: "/dev/mail", Tenants: f.store})
		defer srv.Close()
		get := func(path string) (*http.Response, string) {
			resp, err := srv.Client().Get(srv.URL + path)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			return resp, string(body)
		}

		resp, list := get("/dev/mail")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, list, "bo@fabrikam.example")
		require.Contains(t, list, "Hello &lt;script&gt;")
		require.NotContains(t, list, "<script>")
		require.Contains(t, list, ">sent<")
		require.Contains(t, list, "/dev/mail/"+f.tenantID+"/"+id)

		require.Contains(t, list, "<td>Woodgrove Bank (woodgrove)</td>", "the tenant is named, not its id")
		require.NotContains(t, list, "<td>"+f.tenantID+"</td>")

		resp, page := get("/dev/mail/" + f.tenantID + "/" + id)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, page, "See you &lt;soon&gt;")
		require.NotContains(t, page, "<script>")
		require.Contains(t, page, "<dd>Woodgrove Bank (woodgrove)</dd>")
		// The text part's links are clickable; nothing else becomes markup.
		redeem := regexp.MustCompile(`https://id\.example/t/woodgrove/redeem\?token=[\w-]+`).FindString(msg.Text)
		require.NotEmpty(t, redeem)
		require.Contains(t, page, `<a href="`+redeem+`" rel="noreferrer">`+redeem+`</a>`)
		require.Contains(t, page, `<a href="https://id.example/t/woodgrove/block?token=block-8dKq" rel="noreferrer">`)
		require.NotContains(t, page, `href="javascript`)
		require.Contains(t, page, `<a href="http://x.example/" rel="noreferrer">http://x.example/</a>&#34;&gt;&lt;script&gt;`)
		require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")

		resp, html := get("/dev/mail/" + f.tenantID + "/" + id + "/html")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, msg.HTML, html)
		require.Equal(t, "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox",
			resp.Header.Get("Content-Security-Policy"))

		resp, _ = get("/dev/mail/" + secret.NewID() + "/" + id)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, "another tenant's path misses")
	})
}

// TestKickDrainsAtOnce: a kicked drainer sends a new message without
// waiting for its tick (an hour here).
func TestKickDrainsAtOnce(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		f := newFixture(t, b)
		srv := mailtest.StartSMTP(t, f.addr, nil)
		o := f.outbox(t, f.smtpSender(t), 0)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { _ = o.Run(ctx, time.Hour); close(done) }()
		t.Cleanup(func() { cancel(); <-done })

		// Let the first drain, at start, go by empty-handed.
		require.Eventually(t, func() bool {
			f.enqueue(t, o, renderInvitation(t, "probe@fabrikam.example"))
			o.Kick()
			return len(srv.Messages()) > 0
		}, 10*time.Second, 100*time.Millisecond)
		sent := len(srv.Messages())
		f.enqueue(t, o, renderInvitation(t, "bo@fabrikam.example"))
		o.Kick()
		require.Eventually(t, func() bool { return len(srv.Messages()) > sent }, 10*time.Second, 20*time.Millisecond,
			"sent on the kick, an hour before the tick")
	})
}

// slowSender takes a while over each message, as a remote SMTP server
// does, so a lane stays busy with a long queue.
type slowSender struct {
	mail.Sender
	delay time.Duration
}

func (s slowSender) Send(ctx context.Context, m mail.Message) error {
	time.Sleep(s.delay)
	return s.Sender.Send(ctx, m)
}

// TestPasscodeOvertakesInvitations: with thousands of invitations queued
// and being sent, a passcode enqueued behind them is delivered within a
// second: it is claimed before them, and by a lane of its own, so it waits
// neither behind the queue nor behind the batch being sent (20 messages of
// 100 ms here).
func TestPasscodeOvertakesInvitations(t *testing.T) {
	t.Parallel()
	sqltest.Run(t, func(t *testing.T, b sqltest.Backend) {
		f := newFixture(t, b)
		srv := mailtest.StartSMTP(t, f.addr, nil)
		o := f.outboxOfBatch(t, slowSender{Sender: f.smtpSender(t), delay: 100 * time.Millisecond}, 0, 20)
		const invitations = 2000
		invitation := renderInvitation(t, "bo@fabrikam.example")
		require.True(t, invitation.Bulk, "invitations are bulk mail")
		require.NoError(t, f.store.InTx(t.Context(), func(tx store.Store) error {
			for range invitations {
				if _, err := o.Enqueue(t.Context(), tx, f.tenantID, "invitation", invitation); err != nil {
					return err
				}
			}
			return nil
		}))

		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { _ = o.Run(ctx, time.Hour); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
		require.Eventually(t, func() bool { return len(srv.Messages()) >= 3 }, 30*time.Second, 10*time.Millisecond,
			"the invitations are going out")

		code, err := mail.RenderPasscode(mail.PasscodeData{To: "kim@partner.example", Brand: mail.Branding{Name: "Woodgrove Bank"},
			Code: "12345678", Lifetime: 10 * time.Minute})
		require.NoError(t, err)
		require.False(t, code.Bulk)
		f.enqueue(t, o, code)
		o.Kick()
		passcodeSent := func() bool {
			for _, m := range srv.Messages() {
				if slices.Contains(m.To, "kim@partner.example") {
					return true
				}
			}
			return false
		}
		require.Eventually(t, passcodeSent, time.Second, 5*time.Millisecond, "the passcode is delivered within a second")
		require.Less(t, len(srv.Messages()), invitations, "it overtook invitations queued before it")
	})
}
