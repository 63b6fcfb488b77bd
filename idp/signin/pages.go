package signin

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/foyer-idp/foyer/internal/httpx"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages holds one template set per page, each with the shared layout.
type pages map[string]*template.Template

func parsePages() pages {
	p := pages{}
	for _, name := range []string{"login", "password", "consent", "error", "signout", "signedout",
		"redeem", "passcode", "redeemconsent", "block", "message",
		"mfaenrol", "mfaverify", "mfacodes", "securityinfo", "device", "changepassword"} {
		p[name] = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return p
}

// View is what every page template sees; each page uses the fields it
// needs.
type View struct {
	Title      string
	TenantName string
	Accent     string
	LogoURL    string
	Nonce      string

	Action    string
	RequestID string
	CSRF      string
	Email     string
	// Person names the signed-in user as people know them: display name
	// and email, never a guest's #EXT# user principal name.
	Person  string
	Error   string
	AppName string
	// Inviter is who invited the guest, and Ways how they may redeem, on
	// redemption pages.
	Inviter string
	Ways    []Way
	// Enrolment, RecoveryCodes and Next are the second-factor pages'.
	Enrolment     *enrolmentViewData
	RecoveryCodes []string
	Next          string
	// Methods is the security info page's.
	Methods *methodsView
	Scopes  []string
	Hidden  map[string]string
	// UserCode is the device page's code, prefilled from the device's
	// link; Device makes the consent page a device approval.
	UserCode string
	Device   bool
	// RequestRef is the request id, for the user to quote to an admin.
	RequestRef string
	// MinPasswordLength is the change-password page's rule.
	MinPasswordLength int
	// NextStep is an error page's next step, a link; none when nil.
	NextStep *NextStep
}

// NextStep is where an error page sends the user next.
type NextStep struct{ URL, Text string }

const defaultAccent = "#0f6cbd"

// person answers how pages name u: "Sam (sam@fabrikam.test)", or the
// address alone. A guest's user principal name
// (sam_fabrikam.test#EXT#@woodgrove…) is an internal key, shown only
// when the user has neither name nor address.
func person(u store.User) string {
	name, mail := strings.TrimSpace(u.DisplayName), u.Mail
	switch {
	case mail == "" && name == "":
		return u.UserPrincipalName
	case mail == "":
		return name
	case name == "" || strings.EqualFold(name, mail):
		return mail
	}
	return name + " (" + mail + ")"
}

var hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// Branded answers a view carrying the tenant's name and branding.
func Branded(t store.Tenant, title string) View {
	v := View{Title: title, TenantName: t.DisplayName, Accent: defaultAccent, LogoURL: t.Branding.LogoURL}
	if v.TenantName == "" {
		v.TenantName = "Foyer"
	}
	if hexColour.MatchString(t.Branding.AccentColor) {
		v.Accent = t.Branding.AccentColor
	}
	return v
}

// Render writes a page. Pages are never cached (they carry form tokens)
// and never framed; their only inline code is the style block, allowed
// by a nonce.
func (c *Core) Render(w http.ResponseWriter, r *http.Request, status int, page string, v View) {
	v.Nonce = secret.NewToken(16)
	var buf bytes.Buffer
	if err := c.pages[page].ExecuteTemplate(&buf, "layout", v); err != nil {
		c.logger.ErrorContext(r.Context(), "render page", "page", page, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+v.Nonce+"'; img-src https: data:; "+
		"frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// ErrorPage shows the tenant's branded error page. Protocol errors that
// must not be sent to a redirect URI (an unknown client, an unregistered
// redirect URI) end here; title and message are for people and must not
// carry internal details.
func (c *Core) ErrorPage(w http.ResponseWriter, r *http.Request, t store.Tenant, status int, title, message string) {
	c.ErrorPageNext(w, r, t, status, title, message, nil)
}

// ErrorPageNext is ErrorPage with a next step: a link instead of "go back
// to the application".
func (c *Core) ErrorPageNext(w http.ResponseWriter, r *http.Request, t store.Tenant, status int, title, message string, next *NextStep) {
	v := Branded(t, title)
	v.Error = message
	v.RequestRef = httpx.RequestIDFrom(r.Context())
	v.NextStep = next
	c.Render(w, r, status, "error", v)
}

// Unavailable shows the error page for a store failure, logging its cause.
func (c *Core) Unavailable(w http.ResponseWriter, r *http.Request, t store.Tenant, doing string, err error) {
	c.logger.ErrorContext(r.Context(), doing, "tenant", t.Slug, "err", err)
	w.Header().Set("Retry-After", "5")
	c.ErrorPage(w, r, t, http.StatusServiceUnavailable, "Try again in a moment",
		"Sign-in is temporarily unavailable.")
}

// scopeDescriptions say what each scope lets an app see, for the consent
// page.
var scopeDescriptions = map[string]string{
	"openid":         "Sign you in",
	"profile":        "See your name and user name",
	"email":          "See your email address",
	"offline_access": "Keep access to what you allowed, even when you are not using the app",
}

// permissionDescriptions say what each delegated admin-API permission
// ({external}/{permission}) lets an app do as the user.
var permissionDescriptions = map[string]string{
	"User.Invite.All":                        "Invite guest users on your behalf",
	"User.ReadWrite.All":                     "Read and change users on your behalf",
	"Group.ReadWrite.All":                    "Read and change groups on your behalf",
	"Application.ReadWrite.All":              "Read and change applications on your behalf",
	"AuditLog.Read.All":                      "Read the audit log on your behalf",
	"Policy.ReadWrite.Authentication":        "Read and change sign-in policies on your behalf",
	"Policy.ReadWrite.Authorization":         "Read and change who may invite guests on your behalf",
	"IdentityProvider.ReadWrite.All":         "Read and change the identity providers guests sign in with, on your behalf",
	"Domain.ReadWrite.All":                   "Read and change your organisation's verified domains on your behalf",
	"Policy.ReadWrite.AuthenticationMethod":  "Read and change who must use multi-factor authentication, on your behalf",
	"UserAuthenticationMethod.ReadWrite.All": "See who has registered an authenticator app, reset it and clear locks, on your behalf",
	"Organization.ReadWrite.All":             "Read your organisation and change its branding on your behalf",
	"RoleManagement.ReadWrite.Directory":     "Read and change who holds your organisation's directory roles, on your behalf",
}

// describeScopes answers the consent page's lines for scopes: OIDC scopes
// and the admin API's delegated permissions, named under external.
func describeScopes(external string, scopes []string) []string {
	var out []string
	for _, s := range scopes {
		if perm, ok := strings.CutPrefix(s, external+"/"); ok {
			d, known := permissionDescriptions[perm]
			if !known {
				d = "Use the admin API's " + perm + " permission on your behalf"
			}
			out = append(out, d)
			continue
		}
		if d, ok := scopeDescriptions[s]; ok {
			out = append(out, d)
		}
	}
	return out
}

// showRecoveryCodes shows new recovery codes once, with a Continue button
// to next (a GET form: next's query goes in hidden fields, or the browser
// would drop it).
func (c *Core) showRecoveryCodes(w http.ResponseWriter, r *http.Request, t store.Tenant, codes []string, next string) {
	v := Branded(t, "Save your recovery codes")
	v.RecoveryCodes = codes
	if u, err := url.Parse(next); err == nil {
		v.Hidden = map[string]string{}
		for k, vs := range u.Query() {
			v.Hidden[k] = vs[0]
		}
		u.RawQuery = ""
		v.Next = u.String()
	}
	c.Render(w, r, http.StatusOK, "mfacodes", v)
}

// Message shows the tenant's branded page with a title and a message, for
// an outcome that is not an error (a device approved or denied).
func (c *Core) Message(w http.ResponseWriter, r *http.Request, t store.Tenant, title, message string) {
	v := Branded(t, title)
	v.Error = message
	c.Render(w, r, http.StatusOK, "message", v)
}
