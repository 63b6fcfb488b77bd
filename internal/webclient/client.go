package webclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"
)

// Defaults for the zero values of Config.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxRedirects = 10
	// DefaultMaxBody caps how much of a response is read.
	DefaultMaxBody = 4 << 20
)

// Config is what a Client needs; every field is optional.
type Config struct {
	// StopAt are URL prefixes (a relying party's redirect URIs) whose
	// redirects are captured rather than followed: the page answered then
	// has Stop set to the redirect's target, query included.
	StopAt []string
	// Transport sends the requests; http.DefaultTransport when nil. Load
	// tools share one between many Clients so connections are reused.
	Transport http.RoundTripper
	// Timeout bounds each request with its redirects; DefaultTimeout when 0.
	Timeout time.Duration
	// MaxRedirects bounds a chain of redirects; DefaultMaxRedirects when 0.
	MaxRedirects int
	// MaxBody caps the bytes read of a response; DefaultMaxBody when 0.
	MaxBody int64
	// CheckURL, when set, is asked before every request, redirects
	// included; an error stops the request. Load tools use it to keep
	// every request on loopback addresses.
	CheckURL func(*url.URL) error
}

// Client is a browser with one cookie jar. It is safe for concurrent use,
// but like a browser it is meant for one user's flow at a time.
type Client struct {
	http     *http.Client
	stopAt   []string
	maxBody  int64
	checkURL func(*url.URL) error
}

// New answers a Client with an empty cookie jar.
func New(cfg Config) *Client {
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	c := &Client{stopAt: append([]string(nil), cfg.StopAt...), maxBody: cfg.MaxBody, checkURL: cfg.CheckURL}
	c.http = &http.Client{
		Transport: cfg.Transport,
		Timeout:   cfg.Timeout,
		Jar:       newJar(),
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if c.stops(req.URL) {
				return http.ErrUseLastResponse
			}
			if len(via) >= cfg.MaxRedirects {
				return fmt.Errorf("stopped after %d redirects", cfg.MaxRedirects)
			}
			return c.check(req.URL)
		},
	}
	return c
}

func newJar() http.CookieJar {
	jar, err := cookiejar.New(nil)
	if err != nil {
		panic(err) // cookiejar.New fails only for a bad public suffix list
	}
	return jar
}

// HTTPClient answers the underlying client, cookie jar included, for
// requests a browser would not make by form (a token exchange in a test).
func (c *Client) HTTPClient() *http.Client { return c.http }

// ResetCookies forgets every cookie: a new browser on the same transport.
func (c *Client) ResetCookies() { c.http.Jar = newJar() }

// Cookies answers the cookies the jar would send to u.
func (c *Client) Cookies(u *url.URL) []*http.Cookie { return c.http.Jar.Cookies(u) }

func (c *Client) stops(u *url.URL) bool {
	s := u.String()
	for _, prefix := range c.stopAt {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func (c *Client) check(u *url.URL) error {
	if c.checkURL == nil {
		return nil
	}
	return c.checkURL(u)
}

// Get loads rawURL, following redirects until a page or a stop URL.
func (c *Client) Get(ctx context.Context, rawURL string) (*Page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("webclient: %w", err)
	}
	return c.Do(req)
}

// Follow loads a stop URL a flow ended at (page.Stop), as the browser
// would have: a test that serves the relying party too goes on to its
// callback this way. Later redirects to stop URLs are still captured.
func (c *Client) Follow(ctx context.Context, stop *url.URL) (*Page, error) {
	if stop == nil {
		return nil, errors.New("webclient: Follow of a nil URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, stop.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("webclient: %w", err)
	}
	return c.send(req)
}

// Do sends req like a browser: cookies from the jar, redirects followed
// until a page or a stop URL.
func (c *Client) Do(req *http.Request) (*Page, error) {
	if c.stops(req.URL) {
		return &Page{URL: req.URL, Stop: req.URL}, nil
	}
	return c.send(req)
}

func (c *Client) send(req *http.Request) (*Page, error) {
	if err := c.check(req.URL); err != nil {
		return nil, err
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("webclient: %s %s: %w", req.Method, redact(req.URL), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody))
	if err != nil {
		return nil, fmt.Errorf("webclient: read %s: %w", redact(resp.Request.URL), err)
	}
	p := &Page{URL: resp.Request.URL, Status: resp.StatusCode, Header: resp.Header, Body: body}
	if isRedirect(resp.StatusCode) {
		loc, err := resp.Location()
		if err != nil {
			return nil, fmt.Errorf("webclient: %d from %s without a usable Location: %w", resp.StatusCode, redact(p.URL), err)
		}
		if !c.stops(loc) {
			return nil, fmt.Errorf("webclient: redirect to %s was not followed", redact(loc))
		}
		p.Stop = loc
		return p, nil
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/html" || mt == "application/xhtml+xml" {
		if err := p.parse(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// redact drops a URL's query, which may carry codes and tokens, from error
// messages.
func redact(u *url.URL) string {
	if u == nil {
		return "<nil>"
	}
	v := *u
	if v.RawQuery != "" {
		v.RawQuery = "…"
	}
	v.Fragment = ""
	return v.String()
}

// ErrNoForm is what FormWith answers when no form on the page matches.
var ErrNoForm = errors.New("no matching form on the page")

// Submit sends the form as its button would: nil submits it as pressing
// Enter does (the first submit button's name and value, if it has one).
// The form's action is resolved against the page it came from.
func (c *Client) Submit(ctx context.Context, f *Form, button *Button) (*Page, error) {
	if f == nil {
		return nil, errors.New("webclient: Submit of a nil form")
	}
	if button == nil && len(f.Buttons) > 0 {
		button = f.Buttons[0]
	}
	action, method, enctype := f.Action, f.Method, f.Enctype
	values := f.Values()
	if button != nil {
		if button.Name != "" {
			values.Add(button.Name, button.Value)
		}
		if button.FormAction != "" {
			action = button.FormAction
		}
		if button.FormMethod != "" {
			method = strings.ToUpper(button.FormMethod)
		}
	}
	target, err := f.base.Parse(action)
	if err != nil {
		return nil, fmt.Errorf("webclient: form action %q: %w", action, err)
	}
	target.Fragment = ""
	var req *http.Request
	switch method {
	case http.MethodGet:
		target.RawQuery = values.Encode()
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	case http.MethodPost:
		if enctype != "" && enctype != "application/x-www-form-urlencoded" {
			return nil, fmt.Errorf("webclient: form enctype %q is not supported", enctype)
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, target.String(), strings.NewReader(values.Encode()))
		if req != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			// Browsers send Origin on POST; providers may check it.
			req.Header.Set("Origin", f.base.Scheme+"://"+f.base.Host)
			req.Header.Set("Referer", f.base.String())
		}
	default:
		return nil, fmt.Errorf("webclient: form method %q is not supported", method)
	}
	if err != nil {
		return nil, fmt.Errorf("webclient: %w", err)
	}
	return c.Do(req)
}
