package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Scenarios, in the order Run runs them.
const (
	ClientCredentials = "client_credentials"
	Refresh           = "refresh"
	PasswordFlow      = "password-flow"
	SessionFlow       = "session-flow"
	JWKS              = "jwks"
	Discovery         = "discovery"
)

// Scenarios lists every scenario.
var Scenarios = []string{ClientCredentials, Refresh, PasswordFlow, SessionFlow, JWKS, Discovery}

// Limits and defaults.
const (
	DefaultWorkers = 16
	MaxWorkers     = 256
	// DefaultDuration is how long each scenario runs.
	DefaultDuration = 10 * time.Second
	// MaxRunTime caps a whole run, sign-ins before the measured phases
	// included: a run stops by itself.
	MaxRunTime = 10 * time.Minute
	// DefaultMaxSamples bounds the durations kept per scenario.
	DefaultMaxSamples = 1_000_000
	// MaxOperations caps the operations of one scenario.
	MaxOperations = 10_000_000
	// DefaultRequestTimeout bounds one operation's requests.
	DefaultRequestTimeout = 10 * time.Second
	// errorPause keeps a worker whose every request fails (a stopped
	// server) from spinning.
	errorPause = 5 * time.Millisecond
)

// Config says what to drive and how hard.
type Config struct {
	// Issuer is the provider's issuer; discovery is fetched from
	// {Issuer}/.well-known/openid-configuration once, at the start.
	Issuer string
	// ClientID and ClientSecret authenticate at the token endpoint
	// (client_secret_basic); without a secret the client is public and
	// sends its id in the body.
	ClientID     string
	ClientSecret string
	// RedirectURI is registered for the client; sign-ins stop there (no
	// request is ever sent to it).
	RedirectURI string
	// Username and Password sign in through the provider's HTML forms.
	Username string
	Password string
	// Scopes of the sign-ins; openid, profile and email when empty. The
	// refresh scenario adds offline_access.
	Scopes []string
	// Scenarios to run; empty: every one the inputs allow.
	Scenarios []string
	// Workers run each scenario concurrently; DefaultWorkers when 0.
	Workers int
	// Duration is each scenario's measured time; DefaultDuration when 0.
	Duration time.Duration
	// AllowRemote lets the issuer and its endpoints be other than
	// loopback addresses (127.0.0.0/8, ::1, localhost).
	AllowRemote bool
	// MaxSamples bounds the durations kept per scenario;
	// DefaultMaxSamples when 0.
	MaxSamples int
	// RequestTimeout bounds each operation's requests;
	// DefaultRequestTimeout when 0.
	RequestTimeout time.Duration
	// Progress, when set, is told as each scenario starts.
	Progress func(scenario string, workers int, d time.Duration)
}

// ErrNotLoopback refuses a target that is not on this machine.
var ErrNotLoopback = errors.New("not a loopback address")

// needs says what inputs a scenario needs.
func needs(scenario string) (secret, user bool) {
	switch scenario {
	case ClientCredentials:
		return true, false
	case Refresh, PasswordFlow, SessionFlow:
		return false, true
	}
	return false, false
}

// check fills defaults, picks the scenarios and reports every problem.
func (c *Config) check() error {
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.MaxSamples == 0 {
		c.MaxSamples = DefaultMaxSamples
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if len(c.Scopes) == 0 {
		c.Scopes = []string{"openid", "profile", "email"}
	}
	var errs []error
	issuer, err := url.Parse(c.Issuer)
	if c.Issuer == "" || err != nil || !issuer.IsAbs() || issuer.Host == "" || (issuer.Scheme != "http" && issuer.Scheme != "https") {
		errs = append(errs, fmt.Errorf("issuer must be an absolute http(s) URL, got %q", c.Issuer))
	} else if err := c.target("issuer", issuer); err != nil {
		errs = append(errs, err)
	}
	if c.Workers < 1 || c.Workers > MaxWorkers {
		errs = append(errs, fmt.Errorf("workers must be 1 to %d, got %d", MaxWorkers, c.Workers))
	}
	if c.Duration < 0 || c.Duration > MaxRunTime {
		errs = append(errs, fmt.Errorf("duration must be at most %v, got %v", MaxRunTime, c.Duration))
	}
	if c.MaxSamples < 1 || c.RequestTimeout < 0 {
		errs = append(errs, errors.New("MaxSamples must be positive and RequestTimeout not negative"))
	}
	haveSecret, haveUser := c.ClientID != "" && c.ClientSecret != "", c.ClientID != "" && c.Username != "" && c.Password != "" && c.RedirectURI != ""
	if len(c.Scenarios) == 0 {
		for _, s := range Scenarios {
			if needSecret, needUser := needs(s); (!needSecret || haveSecret) && (!needUser || haveUser) {
				c.Scenarios = append(c.Scenarios, s)
			}
		}
	}
	for _, s := range c.Scenarios {
		if !slices.Contains(Scenarios, s) {
			errs = append(errs, fmt.Errorf("unknown scenario %q: want one of %s", s, strings.Join(Scenarios, ", ")))
			continue
		}
		needSecret, needUser := needs(s)
		if needSecret && !haveSecret {
			errs = append(errs, fmt.Errorf("scenario %s needs a client id and secret", s))
		}
		if needUser && !haveUser {
			errs = append(errs, fmt.Errorf("scenario %s needs a client id, a redirect URI, a username and a password", s))
		}
	}
	if c.RedirectURI != "" {
		if u, err := url.Parse(c.RedirectURI); err != nil || !u.IsAbs() {
			errs = append(errs, fmt.Errorf("redirect URI must be an absolute URL, got %q", c.RedirectURI))
		}
	}
	if total := time.Duration(len(c.Scenarios)) * c.Duration; total > MaxRunTime {
		errs = append(errs, fmt.Errorf("%d scenarios × %v = %v is more than the %v a run may take: choose fewer scenarios or a shorter duration",
			len(c.Scenarios), c.Duration, total, MaxRunTime))
	}
	return errors.Join(errs...)
}

// target refuses a URL off this machine unless remote targets are allowed.
func (c *Config) target(what string, u *url.URL) error {
	if c.AllowRemote || IsLoopback(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("%s %s: %w; a load test sends traffic only to this machine unless --allow-remote is given", what, u.Redacted(), ErrNotLoopback)
}

// IsLoopback reports whether host is localhost or a loopback IP
// (127.0.0.0/8, ::1).
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Report is a run's outcome.
type Report struct {
	Issuer  string   `json:"issuer"`
	Workers int      `json:"workers"`
	Results []Result `json:"results"`
}

// Result is one scenario's outcome. An operation is one client action:
// a token request, a whole browser sign-in with its code exchange, one
// document fetch.
type Result struct {
	Scenario string `json:"scenario"`
	// Workers is how many ran the measured phase: those whose setup
	// failed did not.
	Workers int `json:"workers"`
	// Seconds is how long the measured phase ran.
	Seconds    float64 `json:"seconds"`
	Operations int64   `json:"operations"`
	Errors     int64   `json:"errors"`
	// Requests counts the HTTP requests of the measured phase, failed
	// operations' included.
	Requests          int64        `json:"requests"`
	OpsPerSecond      float64      `json:"operationsPerSecond"`
	RequestsPerSecond float64      `json:"requestsPerSecond"`
	Latency           Stats        `json:"latency"`
	ErrorKinds        []ErrorCount `json:"errorKinds,omitempty"`
	// Setup is what went wrong before measuring (a worker's first sign-in),
	// if anything did.
	Setup []ErrorCount `json:"setupErrors,omitempty"`
}

// endpoints are what discovery tells.
type endpoints struct {
	Issuer        string   `json:"issuer"`
	Authorization string   `json:"authorization_endpoint"`
	Token         string   `json:"token_endpoint"`
	JWKS          string   `json:"jwks_uri"`
	PKCEMethods   []string `json:"code_challenge_methods_supported"`
	discoveryURL  string
}

// Run discovers the provider and runs each scenario in turn, stopping by
// itself after the scenarios' durations (and at MaxRunTime at the latest).
// An invalid Config or a failed discovery is an error; failed operations
// are counted in the Report.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.check(); err != nil {
		return Report{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, MaxRunTime)
	defer cancel()
	counter := &countingTransport{next: newTransport(cfg.Workers, cfg.AllowRemote)}
	r := &runner{cfg: cfg, transport: counter}
	r.http = &http.Client{
		Transport: counter, Timeout: cfg.RequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if err := r.discover(ctx); err != nil {
		return Report{}, err
	}
	report := Report{Issuer: cfg.Issuer, Workers: cfg.Workers}
	for _, name := range cfg.Scenarios {
		if ctx.Err() != nil {
			break
		}
		if cfg.Progress != nil {
			cfg.Progress(name, cfg.Workers, cfg.Duration)
		}
		report.Results = append(report.Results, r.run(ctx, name))
	}
	return report, nil
}

// newTransport answers a transport sized for the workers that, unless
// remote targets are allowed, refuses at dial time any address that is
// not loopback: what a redirect or DNS answer points at is checked too.
func newTransport(workers int, allowRemote bool) *http.Transport {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !allowRemote {
		dialer.Control = loopbackOnly
	}
	return &http.Transport{
		Proxy:               nil, // a proxy would carry loopback traffic off the machine
		DialContext:         dialer.DialContext,
		MaxIdleConns:        workers * 4,
		MaxIdleConnsPerHost: workers * 4,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 5 * time.Second,
	}
}

// loopbackOnly is a net.Dialer Control: it runs after name resolution and
// before the connection is attempted, and refuses any address that is not
// loopback.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("dial %s: %w", address, ErrNotLoopback)
	}
	return nil
}

// countingTransport counts requests.
type countingTransport struct {
	next  http.RoundTripper
	count atomic.Int64
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.count.Add(1)
	return t.next.RoundTrip(req)
}

// runner is one Run.
type runner struct {
	cfg       Config
	transport *countingTransport
	http      *http.Client
	ep        endpoints
}

func (r *runner) discover(ctx context.Context) error {
	r.ep.discoveryURL = strings.TrimRight(r.cfg.Issuer, "/") + "/.well-known/openid-configuration"
	var ep endpoints
	if err := r.getJSON(ctx, r.ep.discoveryURL, &ep); err != nil {
		return fmt.Errorf("discovery: %w", err)
	}
	ep.discoveryURL = r.ep.discoveryURL
	var errs []error
	if ep.Issuer != r.cfg.Issuer {
		errs = append(errs, fmt.Errorf("discovery names issuer %q, not %q", ep.Issuer, r.cfg.Issuer))
	}
	for _, e := range []struct{ name, url string }{
		{"authorization_endpoint", ep.Authorization}, {"token_endpoint", ep.Token}, {"jwks_uri", ep.JWKS},
	} {
		u, err := url.Parse(e.url)
		if e.url == "" || err != nil || !u.IsAbs() {
			errs = append(errs, fmt.Errorf("discovery: %s %q is not an absolute URL", e.name, e.url))
			continue
		}
		if err := r.cfg.target("discovery's "+e.name, u); err != nil {
			errs = append(errs, err)
		}
	}
	if len(ep.PKCEMethods) > 0 && !slices.Contains(ep.PKCEMethods, "S256") {
		errs = append(errs, errors.New("discovery: the provider does not offer PKCE with S256"))
	}
	r.ep = ep
	return errors.Join(errs...)
}

// getJSON fetches u and decodes a 200 answer into v.
func (r *runner) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.http.Do(req)
	if err != nil {
		return err
	}
	defer drain(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

// drain reads what is left of a body so the connection is reused.
func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 1<<20))
	_ = body.Close()
}

// run runs one scenario: each worker's setup (a first sign-in, for the
// scenarios that need one), then the measured loop until the duration
// ends or the operation cap is reached.
func (r *runner) run(ctx context.Context, name string) Result {
	sc := r.scenario(name)
	workers := make([]*worker, r.cfg.Workers)
	setup := newRecorder(1)
	var wg sync.WaitGroup
	if sc.setup != nil {
		setupCtx, cancel := context.WithTimeout(ctx, r.cfg.Duration+r.cfg.RequestTimeout)
		for i := range workers {
			workers[i] = r.newWorker()
			wg.Go(func() {
				if err := sc.setup(setupCtx, workers[i]); err != nil {
					setup.failure(err)
					workers[i] = nil
				}
			})
		}
		wg.Wait()
		cancel()
	} else {
		for i := range workers {
			workers[i] = r.newWorker()
		}
	}

	rec := newRecorder(r.cfg.MaxSamples)
	r.transport.count.Store(0)
	runCtx, cancel := context.WithTimeout(ctx, r.cfg.Duration)
	defer cancel()
	start := time.Now()
	active := 0
	for _, w := range workers {
		if w == nil {
			continue
		}
		active++
		wg.Go(func() {
			for runCtx.Err() == nil && rec.count() < MaxOperations {
				began := time.Now()
				err := sc.op(runCtx, w)
				took := time.Since(began)
				switch {
				case err != nil && runCtx.Err() != nil:
					return // cut off by the end of the run: not the provider's fault
				case err != nil:
					rec.failure(err)
					pause(runCtx, errorPause)
				default:
					rec.success(took)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	requests := r.transport.count.Load()
	res := Result{
		Scenario: name, Workers: active, Seconds: elapsed.Seconds(),
		Operations: rec.ok, Errors: rec.failed, Requests: requests,
		Latency: rec.stats(), ErrorKinds: rec.errorCounts(),
	}
	if setup.failed > 0 {
		res.Setup = setup.errorCounts()
	}
	if elapsed > 0 {
		res.OpsPerSecond = float64(rec.ok) / elapsed.Seconds()
		res.RequestsPerSecond = float64(requests) / elapsed.Seconds()
	}
	return res
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
