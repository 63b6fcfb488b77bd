package cli

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/foyer-idp/foyer/internal/store"
)

// registerServeMetrics adds what serve itself knows to reg: the mail
// outbox's backlog and the invitations by state, read from the database
// at each scrape, and the rows the background purge deleted (a.purged).
func registerServeMetrics(reg *prometheus.Registry, a *app) error {
	a.purged = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "foyer_purged_rows_total",
		Help: "Rows the background purge deleted, by table.",
	}, []string{"table"})
	return errors.Join(reg.Register(a.purged), reg.Register(databaseCollector{a}))
}

// databaseCollector reports what the shared database holds, the same
// from every node: the outbox's backlog (how many messages wait, due or
// retrying, and how long the oldest has waited) and every tenant's
// invitations by state.
type databaseCollector struct{ a *app }

var (
	outboxWaitingDesc = prometheus.NewDesc("foyer_outbox_waiting_messages",
		"Messages in the mail outbox not yet delivered (due or retrying), all tenants.", nil, nil)
	outboxOldestDesc = prometheus.NewDesc("foyer_outbox_oldest_waiting_seconds",
		"How long the oldest undelivered message has waited; 0 when none waits.", nil, nil)
	invitationsDesc = prometheus.NewDesc("foyer_invitations",
		"Invitations of all tenants by state: PendingAcceptance, Accepted, Revoked, and Expired (pending past expiry).",
		[]string{"state"}, nil)
)

// tallyStates are always reported, zero when none is in them, so a
// rate over the series never starts from a missing one.
var tallyStates = []string{store.InvitationPending, store.InvitationAccepted, store.InvitationRevoked, store.InvitationExpired}

// databaseScrapeTimeout bounds the queries of one scrape.
const databaseScrapeTimeout = 2 * time.Second

func (c databaseCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxWaitingDesc
	ch <- outboxOldestDesc
	ch <- invitationsDesc
}

// Collect leaves out the gauges whose query failed: a scrape without them
// says the database did not answer; /readyz says why.
func (c databaseCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), databaseScrapeTimeout)
	defer cancel()
	if waiting, oldest, err := c.a.store.MailBacklog(ctx); err != nil {
		c.a.logger.WarnContext(ctx, "metrics: mail backlog", "err", err)
	} else {
		age := 0.0
		if !oldest.IsZero() {
			age = max(time.Since(oldest).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(outboxWaitingDesc, prometheus.GaugeValue, float64(waiting))
		ch <- prometheus.MustNewConstMetric(outboxOldestDesc, prometheus.GaugeValue, age)
	}
	if tally, err := c.a.store.TallyInvitations(ctx, time.Now()); err != nil {
		c.a.logger.WarnContext(ctx, "metrics: invitations", "err", err)
	} else {
		for _, state := range tallyStates {
			ch <- prometheus.MustNewConstMetric(invitationsDesc, prometheus.GaugeValue, float64(tally[state]), state)
		}
	}
}
