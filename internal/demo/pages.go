package demo

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"strings"
)

const style = `body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1f2328}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #d0d7de;padding:.4rem;text-align:left;vertical-align:top}
td.v{font-family:ui-monospace,monospace;word-break:break-all}.note{color:#9a6700}aside.dev{margin-top:2rem;padding:.6rem 1rem;border:1px dashed #9a6700;background:#fff8c5;border-radius:6px}a.button{display:inline-block;padding:.5rem 1rem;background:#1f6feb;color:#fff;border-radius:6px;text-decoration:none}`

var pages = template.Must(template.New("layout").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.Title}} · Foyer demo</title><style>{{.Style}}</style></head>
<body><h1>{{.Title}}</h1>{{template "body" .}}</body></html>
{{define "home"}}<p>This is Foyer's demo application, an ordinary OpenID Connect client of <code>{{.Issuer}}</code>.</p>
{{if .Note}}<p class="note">{{.Note}}</p>{{end}}
<p><a class="button" href="{{.LoginURL}}">Sign in</a></p>
{{if .DevUser}}<aside class="dev" id="dev-hint"><strong>Development mode.</strong> Sign in as <code>{{.DevUser}}</code> with password <code>{{.DevPassword}}</code>.
These credentials are public: serve --dev only on your own machine.</aside>{{end}}{{end}}
{{define "claims"}}<p>Signed in to <code>{{.Issuer}}</code> as <strong>{{.Who}}</strong>.</p>
<table><thead><tr><th>Claim</th><th>Value</th></tr></thead><tbody>
{{range .Claims}}<tr><td>{{.Name}}</td><td class="v">{{.Value}}</td></tr>
{{end}}</tbody></table>
<p><a href="{{.LogoutURL}}">Sign out</a></p>{{end}}
{{define "error"}}<p>{{.Message}}</p><p><a href="{{.LoginURL}}">Start again</a></p>{{end}}
`))

type view interface{ name() string }

type homePage struct {
	Issuer, LoginURL, Note string
	DevUser, DevPassword   string
}

func (homePage) name() string { return "home" }

type claim struct{ Name, Value string }

type claimsPage struct {
	Issuer, LogoutURL, Who string
	Claims                 []claim
}

func (claimsPage) name() string { return "claims" }

// newClaimsPage lists the claims by name, each value as JSON.
func newClaimsPage(issuer, logout string, claims map[string]any) claimsPage {
	p := claimsPage{Issuer: issuer, LogoutURL: logout}
	for name, v := range claims {
		p.Claims = append(p.Claims, claim{Name: name, Value: claimText(v)})
	}
	slices.SortFunc(p.Claims, func(a, b claim) int { return strings.Compare(a.Name, b.Name) })
	for _, key := range []string{"email", "preferred_username", "name", "sub"} {
		if s, ok := claims[key].(string); ok && s != "" {
			p.Who = s
			break
		}
	}
	return p
}

// claimText answers a string claim as it is and any other as JSON.
func claimText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // html/template escapes; JSON's escapes would show
	if err := enc.Encode(v); err != nil {
		return "?"
	}
	return strings.TrimSpace(buf.String())
}

type errorView struct{ Title, Message, LoginURL string }

func (errorView) name() string { return "error" }

func errorPage(title, message string) errorView { return errorView{Title: title, Message: message} }

// views are the layout with each page's body, parsed once.
var views = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, name := range []string{"home", "claims", "error"} {
		t := template.Must(pages.Clone())
		template.Must(t.New("body").Parse(`{{template "` + name + `" .View}}`))
		out[name] = t
	}
	return out
}()

// page renders v into the layout. Everything it shows is escaped by
// html/template: claims and error descriptions come from elsewhere.
func (h *Handler) page(w http.ResponseWriter, status int, v view) {
	if ev, ok := v.(errorView); ok {
		ev.LoginURL = h.login
		v = ev
	}
	var buf bytes.Buffer
	err := views[v.name()].ExecuteTemplate(&buf, "layout", struct {
		Title string
		Style template.CSS
		View  view
	}{title(v), template.CSS(style), v})
	if err != nil {
		h.logger.Error("demo: render page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func title(v view) string {
	switch v := v.(type) {
	case errorView:
		return v.Title
	case claimsPage:
		return "Signed in"
	default:
		return "Foyer demo"
	}
}
