package cli

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/foyer-idp/foyer/internal/mail"
)

const (
	// mailPurpose seals the bodies of queued email.
	mailPurpose = "mail"
	// mailDrainEvery is how often serve looks for mail due.
	mailDrainEvery = 10 * time.Second
	// devMailPath is where serve --dev shows the outbox.
	devMailPath = "/dev/mail"
)

// errNoSMTP is what delivery would answer without an SMTP server; serve
// never drains then, so it is never recorded.
var errNoSMTP = errors.New("no SMTP server configured (FOYER_SMTP_URL)")

type noSMTP struct{}

func (noSMTP) Send(context.Context, mail.Message) error { return errNoSMTP }

// mailSender picks how mail leaves: the SMTP server when one is
// configured; otherwise, under serve --dev, the development sender, whose
// mail reads at /dev/mail. Anywhere else without SMTP drain is false:
// mail waits in the outbox rather than be marked sent unseen.
func mailSender(a *app) (sender mail.Sender, drain bool, err error) {
	if a.cfg.HasSMTP() {
		s, err := mail.NewSMTPSender(mail.SMTPConfig{URL: a.cfg.Mail.SMTPURL.Reveal(), From: a.cfg.Mail.From})
		if err != nil {
			return nil, false, err
		}
		return s, true, nil
	}
	if !a.dev {
		return noSMTP{}, false, nil
	}
	return mail.DevSender{Logger: a.logger, MailboxURL: strings.TrimRight(a.cfg.ExternalURL, "/") + devMailPath}, true, nil
}

// buildOutbox makes the app's outbox; every command can enqueue, only
// serve drains.
func (a *app) buildOutbox() error {
	sender, drain, err := mailSender(a)
	if err != nil {
		return err
	}
	a.mailDrain = drain
	a.outbox, err = mail.NewOutbox(mail.OutboxConfig{
		Store:  a.store,
		Sealer: a.master.Sealer(mailPurpose),
		Sender: sender,
		Logger: a.logger.With("component", "mail"),
		Rand:   rand.Float64,
	})
	return err
}

// startMail drains the outbox in the background and answers a function
// that stops it and waits. Every node may run it: claims are leases the
// database hands out.
func startMail(ctx context.Context, a *app) (stop func()) {
	if !a.mailDrain {
		a.logger.WarnContext(ctx, "no SMTP server configured (FOYER_SMTP_URL): invitations and passcodes will wait in the outbox until one is")
		return func() {}
	}
	if a.cfg.HasSMTP() {
		a.logger.InfoContext(ctx, "mail goes out through SMTP")
	} else {
		a.logger.InfoContext(ctx, "development mode without SMTP: mail is kept for the development mailbox", "mailbox", devMailPath)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = a.outbox.Run(ctx, mailDrainEvery) })
	return func() { cancel(); wg.Wait() }
}

// devMailRoutes is the development mailbox.
func devMailRoutes(a *app) map[string]http.Handler {
	h := &mail.DevMailbox{Store: a.store, Sealer: a.master.Sealer(mailPurpose), Prefix: devMailPath, Logger: a.logger, Tenants: a.store}
	return map[string]http.Handler{devMailPath: h, devMailPath + "/": h}
}
