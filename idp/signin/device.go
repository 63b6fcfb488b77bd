package signin

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/idp/tenancy"
	"github.com/foyer-idp/foyer/internal/audit"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// The device verification page (RFC 8628 §3.3): the user types the code
// their device shows, signs in through the tenant's usual pages (Begin),
// and approves or denies on the consent page, which a device transaction
// always shows. The provider's callback records the decision.

// DevicePath is the verification URI under a tenant's issuer.
const DevicePath = "/device"

// userCodeAlphabet has no vowels (no words) and no look-alikes (0/O,
// 1/I/L, 2/Z stays, 5/S stays out: letters only). 20 letters, 10 of
// them: 43 bits.
const (
	userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"
	userCodeLength   = 10
)

// NewUserCode answers a random user code as people type it: XXXXX-XXXXX.
func NewUserCode() string {
	var b strings.Builder
	buf := make([]byte, 1)
	for b.Len() < userCodeLength+1 {
		if b.Len() == userCodeLength/2 {
			b.WriteByte('-')
		}
		_, _ = rand.Read(buf) // never fails (crypto/rand)
		// 240 = 12×20: rejecting the rest keeps every letter equally likely.
		if buf[0] >= 240 {
			continue
		}
		b.WriteByte(userCodeAlphabet[int(buf[0])%len(userCodeAlphabet)])
	}
	return b.String()
}

// normalizeUserCode answers a typed user code in its canonical form:
// upper case, without dashes and spaces (RFC 8628 §6.1). False when it
// cannot be a code.
func normalizeUserCode(typed string) (string, bool) {
	code := strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, typed)
	if len(code) != userCodeLength || strings.Trim(code, userCodeAlphabet) != "" {
		return "", false
	}
	return code, true
}

// UserCodeHash answers the stored hash of a user code as issued or typed;
// false when typed cannot be a code.
func UserCodeHash(h *secret.Hasher, typed string) (string, bool) {
	code, ok := normalizeUserCode(typed)
	if !ok {
		return "", false
	}
	return h.Hash("user_code\x00" + code), true
}

// PendingDevices finds the device authorization a user code names; the
// store is one.
type PendingDevices interface {
	GetPendingDeviceAuthorization(ctx context.Context, tenantID, id, userCodeHash string, now time.Time) (store.DeviceAuthorization, error)
}

// DeviceConfig is what the verification page needs.
type DeviceConfig struct {
	Core    *Core
	Devices PendingDevices
}

// Device is the verification page of the device flow.
type Device struct {
	*Core
	devices PendingDevices
}

// NewDevice checks cfg.
func NewDevice(cfg DeviceConfig) (*Device, error) {
	var errs []error
	if cfg.Core == nil {
		errs = append(errs, errors.New("signin: Device needs a Core"))
	}
	if cfg.Devices == nil {
		errs = append(errs, errors.New("signin: Device needs Devices"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Device{Core: cfg.Core, devices: cfg.Devices}, nil
}

// Mount registers the verification page on mux behind wrap, which must
// put the tenant in the request context (tenancy.Gate).
func (d *Device) Mount(mux *http.ServeMux, wrap func(http.Handler) http.Handler) {
	mux.Handle("GET /t/{tenant}"+DevicePath, wrap(http.HandlerFunc(d.devicePage)))
	mux.Handle("POST /t/{tenant}"+DevicePath, wrap(d.Protect(http.HandlerFunc(d.enterCode))))
}

// deviceCSRFID is the CSRF token's subject for the code form, which has
// no transaction yet: the token is bound to the browser cookie alone.
const deviceCSRFID = "device-code"

func (d *Device) deviceView(t store.Tenant, browser, code, message string) View {
	v := Branded(t, "Sign in on a device")
	v.Action = d.TenantURL(t, DevicePath)
	v.CSRF = d.CSRFToken(deviceCSRFID, browser)
	v.UserCode = code
	v.Error = message
	return v
}

// devicePage serves GET /t/{tenant}/device[?user_code=…]: the code form,
// prefilled when the device's link carried the code. It writes nothing
// but the browser cookie its form token is bound to.
func (d *Device) devicePage(w http.ResponseWriter, r *http.Request) {
	t, _ := tenancy.From(r.Context())
	browser, _ := d.Browser(w, r)
	code := r.URL.Query().Get("user_code")
	if len(code) > 32 {
		code = ""
	}
	d.Render(w, r, http.StatusOK, "device", d.deviceView(t, browser, code, ""))
}

// Messages of the device page.
const (
	msgWrongUserCode = "That code is not right, or it has expired. Check the code your device shows and try again."
)

// enterCode serves POST /t/{tenant}/device: every code entered counts
// against the client address at this tenant (a wrong one must not be
// free to guess again); a live code starts the sign-in of its request.
func (d *Device) enterCode(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, _ := tenancy.From(ctx)
	if !d.ParseForm(w, r) {
		return
	}
	browser, ok := d.BrowserValue(r)
	if !ok || !equalStrings(r.PostFormValue("csrf_token"), d.CSRFToken(deviceCSRFID, browser)) {
		d.ErrorPage(w, r, t, http.StatusForbidden, "Request refused",
			"The form had expired or did not come from this site. Open the address your device shows again.")
		return
	}
	typed := r.PostFormValue("user_code")
	if len(typed) > 32 {
		typed = ""
	}
	// Counted before the lookup, in one atomic increment: concurrent
	// guesses cannot all slip under the limit.
	now := d.clock()
	key := "device:address:" + audit.RequestFrom(ctx).ClientIP
	n, err := d.store.IncrementCounter(ctx, t.ID, key, now.Add(d.throttle.Window), now)
	if err != nil {
		d.Unavailable(w, r, t, "count device code attempt", err)
		return
	}
	if n > d.throttle.PerAddress {
		w.Header().Set("Retry-After", retryAfter(d.throttle.Window))
		d.Render(w, r, http.StatusTooManyRequests, "device", d.deviceView(t, browser, typed, throttledMessage(d.throttle.Window)))
		return
	}
	hash, ok := UserCodeHash(d.hasher, typed)
	if !ok {
		d.Render(w, r, http.StatusBadRequest, "device", d.deviceView(t, browser, typed, msgWrongUserCode))
		return
	}
	dev, err := d.devices.GetPendingDeviceAuthorization(ctx, t.ID, "", hash, now)
	if errors.Is(err, store.ErrNotFound) {
		d.Render(w, r, http.StatusBadRequest, "device", d.deviceView(t, browser, typed, msgWrongUserCode))
		return
	}
	if err != nil {
		d.Unavailable(w, r, t, "load device authorization", err)
		return
	}
	app, err := d.store.GetApplicationByClientID(ctx, t.ID, dev.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		d.ErrorPage(w, r, t, http.StatusBadRequest, "Application not found", "The application that asked for this code no longer exists.")
		return
	}
	if err != nil {
		d.Unavailable(w, r, t, "load application", err)
		return
	}
	req := store.AuthRequest{
		TenantID: t.ID, ID: secret.NewID(), ClientID: app.ClientID, Scopes: dev.Scopes, DeviceID: dev.ID,
		CreatedAt: now, ExpiresAt: now.Add(d.loginLifetime),
	}
	if dev.ExpiresAt.Before(req.ExpiresAt) {
		req.ExpiresAt = dev.ExpiresAt
	}
	outcome, err := d.Begin(w, r, Start{Tenant: t, App: app, Request: &req})
	if err != nil {
		d.Unavailable(w, r, t, "begin device sign-in", err)
		return
	}
	if outcome == Finished {
		// Not reached while device transactions always ask to confirm;
		// the callback would still decide.
		d.toCallback(w, r, t, req.ID)
	}
}
