package idp

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/foyer-idp/foyer/idp/redeem"
	"github.com/foyer-idp/foyer/idp/signin"
)

// signinPages is every page a browser sees on its way to a code: the
// shared core and one handler per capability, with redemption beside
// them.
type signinPages struct {
	core     *signin.Core
	login    *signin.Login
	upstream *signin.Upstream // nil without federation
	second   *signin.SecondFactor
	security *signin.SecurityInfo
	consent  *signin.Consent
	device   *signin.Device
	redeem   *redeem.Handler
}

// newSigninPages builds the sign-in capabilities over one core.
func newSigninPages(cfg Config, signIns *prometheus.CounterVec) (*signinPages, error) {
	o := cfg.OIDC
	core, err := signin.NewCore(signin.CoreConfig{
		ExternalURL: cfg.ExternalURL, Store: o.Store, Hasher: o.Hasher,
		LoginLifetime: o.Lifetimes.LoginLifetime, SessionLifetime: o.Lifetimes.SessionLifetime,
		SessionIdleTimeout: o.Lifetimes.SessionIdleTimeout,
		Throttle:           o.Throttle, SignIns: signIns, Now: o.Now, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	p := &signinPages{core: core, security: signin.NewSecurityInfo(core, o.MFA), consent: &signin.Consent{Core: core}}
	// redeem.Config takes an interface: a nil *signin.Upstream must stay
	// a nil interface, or redeem would call through it.
	var upstream redeem.Upstream
	if o.Federation != nil || o.Upstreams != nil {
		if p.upstream, err = signin.NewUpstream(signin.UpstreamConfig{Core: core, Federation: o.Federation, Upstreams: o.Upstreams}); err != nil {
			return nil, err
		}
		upstream = p.upstream
	}
	if p.login, err = signin.NewLogin(signin.LoginConfig{Core: core, Passwords: o.Directory, Passcodes: o.Passcodes, Upstream: p.upstream}); err != nil {
		return nil, err
	}
	if p.second, err = signin.NewSecondFactor(signin.SecondFactorConfig{Core: core, MFA: o.MFA, Landings: o.Directory}); err != nil {
		return nil, err
	}
	if p.device, err = signin.NewDevice(signin.DeviceConfig{Core: core, Devices: o.Store}); err != nil {
		return nil, err
	}
	p.redeem, err = redeem.New(redeem.Config{Core: core, Upstream: upstream, Directory: o.Directory, Passcodes: o.Passcodes,
		Federation: o.Federation, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// mount registers every page on mux behind wrap (tenancy.Gate).
func (p *signinPages) mount(mux *http.ServeMux, wrap func(http.Handler) http.Handler) {
	p.login.Mount(mux, wrap)
	p.consent.Mount(mux, wrap)
	p.device.Mount(mux, wrap)
	p.second.Mount(mux, wrap)
	p.security.Mount(mux, wrap)
	if p.upstream != nil {
		p.upstream.Mount(mux, wrap, p.redeem)
	}
	p.redeem.Mount(mux, wrap)
}
