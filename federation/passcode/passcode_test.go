package passcode

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/mail"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
	"github.com/foyer-idp/foyer/internal/testclock"
)

// capturingMailer remembers what it was given, so the test reads the code
// as the recipient would; the outbox itself is tested in internal/mail.
type capturingMailer struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (m *capturingMailer) Enqueue(_ context.Context, _ mail.Enqueuer, _, kind string, msg mail.Message) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if kind != MailKind {
		panic("unexpected kind " + kind)
	}
	m.sent = append(m.sent, msg)
	return "id", nil
}

var codeInText = regexp.MustCompile(`\b\d{8}\b`)

func (m *capturingMailer) lastCode(t *testing.T) string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	require.NotEmpty(t, m.sent)
	code := codeInText.FindString(m.sent[len(m.sent)-1].Text)
	require.Len(t, code, Digits)
	return code
}

type fixture struct {
	svc    *Service
	st     *sqlstore.Store
	mailer *capturingMailer
	clock  *testclock.Clock
	tenant store.Tenant
}

func newFixture(t *testing.T, b sqltest.Backend) fixture {
	st := b.OpenMigrated(t)
	clock := testclock.New(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	tn := store.Tenant{ID: secret.NewID(), Slug: "woodgrove", DisplayName: "Woodgrove Bank", SigningAlg: "ES256",
		CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
	require.NoError(t, st.CreateTenant(t.Context(), tn))
	h, err := secret.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	m := &capturingMailer{}
	svc, err := New(Config{Store: st, Mailer: m, Hasher: h, Now: clock.Now})
	require.NoError(t, err)
	return fixture{svc: svc, st: st, mailer: m, clock: clock, tenant: tn}
}

func (f fixture) request(subject, binding string) Request {
	return Request{Tenant: f.tenant, Subject: subject, Email: "bo@fabrikam.example", Binding: binding}
}

func TestPasscodes(t *testing.T) {
	t.Parallel()
	sqltest.RunSuite(t, []sqltest.Case[fixture]{
		{Name: "SentToTheAddressOnRecordAndUsableOnce", Fn: func(t *testing.T, f fixture) {
			require.NoError(t, f.svc.Send(t.Context(), f.request("invitation:1", "browser-a")))
			require.Equal(t, []string{"bo@fabrikam.example"}, f.mailer.sent[0].To)
			require.Contains(t, f.mailer.sent[0].Subject, "Woodgrove Bank")
			code := f.mailer.lastCode(t)
			require.NoError(t, f.svc.Verify(t.Context(), f.tenant.ID, "invitation:1", code[:4]+" "+code[4:], "browser-a"),
				"spaces people type are ignored")
			require.ErrorIs(t, f.svc.Verify(t.Context(), f.tenant.ID, "invitation:1", code, "browser-a"), ErrNoCode, "single use")
		}},
		{Name: "OnlyInTheBrowserThatAsked", Fn: func(t *testing.T, f fixture) {
			require.NoError(t, f.svc.Send(t.Context(), f.request("invitation:1", "browser-a")))
			code := f.mailer.lastCode(t)
			require.ErrorIs(t, f.svc.Verify(t.Context(), f.tenant.ID, "invitation:1", code, "browser-b"), ErrWrongCode)
			require.NoError(t, f.svc.Verify(t.Context(), f.tenant.ID, "invitation:1", code, "browser-a"))
		}},
		{Name: "NotForAnotherSubject", Fn: func(t *testing.T, f fixture) {
			require.NoError(t, f.svc.Send(t.Context(), f.request("invitation:1", "browser-a")))
			require.NoError(t, f.svc.Send(t.Context(), f.request("invitation:2", "browser-a")))
			first := f.mailer.sent[0]
			code := codeInText.FindString(first.Text)
			require.ErrorIs(t, f.svc.Verify(t.Context(), f.tenant.ID, "invitation:2", code, "browser-a"), ErrWrongCode)
		}},
		{Name: "LatestOnly", Fn: func(t *testing.T, f fixture) {
			require.NoError(t, f.svc.Send(t.Context(), f.request("user:1", "browser-a")))
			old := f.mailer.lastCode(t)
			require.NoError(t, f.svc.Send(t.Context(), f.request("user:1", "browser-a")))
			latest := f.mailer.lastCode(t)
			if old != latest { // one chance in 10^8 that they are equal
				require.ErrorIs(t, f.svc.Verify(t.Context(), f.tenant.ID, "user:1", old, "browser-a"), ErrWrongCode)
			}
			require.NoError(t, f.svc.Verify(t.Context(), f.tenant.ID, "user:1", latest, "browser-a"))
		}},
		{Name: "ExpiresAfterTenMinutes", Fn: func(t *testing.T, f fixture) {
			require.NoError(t, f.svc.Send(t.Context(), f.request("user:1", "browser-a")))
			code := f.mailer.lastCode(t)
			f.clock.Advance(MaxLifetime)
			require.ErrorIs(t, f.svc.Verify(t.Context(), f.tenant.ID, "user:1", code, "browser-a"), ErrNoCode)
		}},
		{Name: "WrongTriesVoidTheCode", Fn: func(t *testing.T, f fixture) {
			require.NoError(t, f.svc.Send(t.Context(), f.request("user:1", "browser-a")))
			code := f.mailer.lastCode(t)
			wrong := strings.Repeat("0", Digits)
			if wrong == code {
				wrong = strings.Repeat("1", Digits)
			}
			for range MaxAttempts {
				require.ErrorIs(t, f.svc.Verify(t.Context(), f.tenant.ID, "user:1", wrong, "browser-a"), ErrWrongCode)
			}
			require.ErrorIs(t, f.svc.Verify(t.Context(), f.tenant.ID, "user:1", code, "browser-a"), ErrNoCode,
				"the right code is worthless after too many wrong ones")
		}},
		{Name: "SendsAreLimited", Fn: func(t *testing.T, f fixture) {
			for range MaxSends {
				require.NoError(t, f.svc.Send(t.Context(), f.request("user:1", "browser-a")))
			}
			last := f.mailer.lastCode(t)
			require.ErrorIs(t, f.svc.Send(t.Context(), f.request("user:1", "browser-a")), ErrTooManySends)
			require.Equal(t, MaxSends, len(f.mailer.sent), "the refused send queued no mail")
			require.NoError(t, f.svc.Verify(t.Context(), f.tenant.ID, "user:1", last, "browser-a"),
				"the refused send did not replace the live code")
			f.clock.Advance(SendWindow)
			require.NoError(t, f.svc.Send(t.Context(), f.request("user:1", "browser-a")), "a new window")
		}},
	}, newFixture)
}

func TestNewCodeIsUniformDigits(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 200 {
		c, err := newCode()
		require.NoError(t, err)
		require.Regexp(t, `^\d{8}$`, c)
		seen[c] = true
	}
	require.Greater(t, len(seen), 195, "codes repeat far too often")
}
