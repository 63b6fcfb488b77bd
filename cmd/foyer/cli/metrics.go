package cli

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// registerServeMetrics adds what serve itself knows to reg: the mail
// outbox's backlog, read from the database at each scrape, and the rows
// the background purge deleted (a.purged).
func registerServeMetrics(reg *prometheus.Registry, a *app) error {
	a.purged = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "foyer_purged_rows_total",
		Help: "Rows the background purge deleted, by table.",
	}, []string{"table"})
	return errors.Join(reg.Register(a.purged), reg.Register(outboxCollector{a}))
}

// outboxCollector reports the outbox's backlog: how many messages wait
// (due or retrying) and how long the oldest has waited. Every node reads
// the same shared outbox.
type outboxCollector struct{ a *app }

var (
	outboxWaitingDesc = prometheus.NewDesc("foyer_outbox_waiting_messages",
		"Messages in the mail outbox not yet delivered (due or retrying), all tenants.", nil, nil)
	outboxOldestDesc = prometheus.NewDesc("foyer_outbox_oldest_waiting_seconds",
		"How long the oldest undelivered message has waited; 0 when none waits.", nil, nil)
)

// outboxScrapeTimeout bounds the backlog query of one scrape.
const outboxScrapeTimeout = 2 * time.Second

func (c outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxWaitingDesc
	ch <- outboxOldestDesc
}

func (c outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), outboxScrapeTimeout)
	defer cancel()
	waiting, oldest, err := c.a.store.MailBacklog(ctx)
	if err != nil {
		// A scrape without the two gauges says the database did not
		// answer; /readyz says why.
		c.a.logger.WarnContext(ctx, "metrics: mail backlog", "err", err)
		return
	}
	age := 0.0
	if !oldest.IsZero() {
		age = max(time.Since(oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(outboxWaitingDesc, prometheus.GaugeValue, float64(waiting))
	ch <- prometheus.MustNewConstMetric(outboxOldestDesc, prometheus.GaugeValue, age)
}
