package mail

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
)

// DevSender "delivers" by doing nothing: the outbox then marks the message
// sent, and it stays readable in the DevMailbox. Development only.
type DevSender struct {
	// Logger, when set, says where to read the message.
	Logger *slog.Logger
	// MailboxURL is where the DevMailbox is mounted, for the log line.
	MailboxURL string
}

var _ Sender = DevSender{}

// Send records nothing itself; see DevSender.
func (d DevSender) Send(ctx context.Context, _ Message) error {
	if d.Logger != nil {
		d.Logger.InfoContext(ctx, "development mail delivered to the browser mailbox", "mailbox", d.MailboxURL)
	}
	return nil
}

// MailLister is what the DevMailbox reads.
type MailLister interface {
	ListMail(ctx context.Context, f store.MailFilter) ([]store.OutboundMail, error)
}

// TenantLister names tenants for the DevMailbox.
type TenantLister interface {
	ListTenants(ctx context.Context) ([]store.Tenant, error)
}

// DevMailbox shows the outbox in the browser: GET {Prefix} lists the
// newest messages of every tenant, GET {Prefix}/{tenant}/{id} shows one
// message's text and GET {Prefix}/{tenant}/{id}/html its HTML part under a
// sandboxing Content-Security-Policy. Mount it in development only: it
// shows every tenant's mail, passcodes included.
type DevMailbox struct {
	Store  MailLister
	Sealer *secret.Sealer
	// Prefix is the mount path, e.g. /dev/mail.
	Prefix string
	Logger *slog.Logger
	// Tenants, when set, names each message's tenant; its id otherwise.
	Tenants TenantLister

	once sync.Once
	mux  http.Handler
}

// devMailboxLimit caps the listing.
const devMailboxLimit = 200

// htmlCSP sandboxes a message's HTML: no scripts, no fetches but images
// over https, and never framed.
const htmlCSP = "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"

// pageCSP is the mailbox's own pages'.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// Routes answers the mailbox's handler, patterns relative to Prefix.
func (d *DevMailbox) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+d.Prefix+"", d.list)
	mux.HandleFunc("GET "+d.Prefix+"/{$}", d.list)
	mux.HandleFunc("GET "+d.Prefix+"/{tenant}/{id}", d.show)
	mux.HandleFunc("GET "+d.Prefix+"/{tenant}/{id}/html", d.html)
	return mux
}

// ServeHTTP serves Routes.
func (d *DevMailbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.once.Do(func() { d.mux = d.Routes() })
	d.mux.ServeHTTP(w, r)
}

// Status of a message as the mailbox shows it.
func Status(m store.OutboundMail) string {
	switch {
	case m.SentAt != nil:
		return "sent"
	case m.NextAttemptAt.IsZero():
		return "failed"
	case m.Attempts > 0:
		return "retrying"
	}
	return "pending"
}

type listRow struct {
	store.OutboundMail
	Status string
	Link   string
	Tenant string
}

// tenantNames maps tenant ids to "Display name (slug)"; empty when the
// mailbox has no TenantLister or it fails (the ids show then).
func (d *DevMailbox) tenantNames(r *http.Request) map[string]string {
	names := map[string]string{}
	if d.Tenants == nil {
		return names
	}
	tenants, err := d.Tenants.ListTenants(r.Context())
	if err != nil {
		if d.Logger != nil {
			d.Logger.WarnContext(r.Context(), "development mailbox: list tenants", "err", err)
		}
		return names
	}
	for _, t := range tenants {
		names[t.ID] = t.DisplayName + " (" + t.Slug + ")"
	}
	return names
}

func tenantName(names map[string]string, id string) string {
	if n, ok := names[id]; ok {
		return n
	}
	return id
}

// linkPattern finds the http(s) links of a text part.
var linkPattern = regexp.MustCompile(`https?://[^\s<>"']+`)

// linkify answers text as HTML, escaped, with its http(s) links
// clickable. Punctuation ending a sentence stays out of the link. Only
// http and https become links: nothing else can run.
func linkify(text string) template.HTML {
	var b strings.Builder
	last := 0
	for _, m := range linkPattern.FindAllStringIndex(text, -1) {
		link := strings.TrimRight(text[m[0]:m[1]], ".,;:!?)")
		b.WriteString(template.HTMLEscapeString(text[last:m[0]]))
		esc := template.HTMLEscapeString(link)
		b.WriteString(`<a href="` + esc + `" rel="noreferrer">` + esc + `</a>`)
		last = m[0] + len(link)
	}
	b.WriteString(template.HTMLEscapeString(text[last:]))
	return template.HTML(b.String()) //nolint:gosec // every piece is escaped above
}

var devTemplates = template.Must(template.New("list").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Foyer development mailbox</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:4px 12px;border-bottom:1px solid #ddd;text-align:left}pre{white-space:pre-wrap;background:#f6f6f6;padding:1em}</style>
</head><body>
<h1>Development mailbox</h1>
<p>Mail Foyer queued, newest first. Development mode only.</p>
<table><thead><tr><th>Time</th><th>Tenant</th><th>To</th><th>Subject</th><th>Status</th></tr></thead><tbody>
{{range .}}<tr><td>{{.CreatedAt.Format "2006-01-02 15:04:05Z07:00"}}</td><td>{{.Tenant}}</td><td>{{range $i, $a := .To}}{{if $i}}, {{end}}{{$a}}{{end}}</td><td><a href="{{.Link}}">{{.Subject}}</a></td><td>{{.Status}}</td></tr>
{{else}}<tr><td colspan="5">No mail yet.</td></tr>{{end}}
</tbody></table></body></html>
{{define "show"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Msg.Subject}}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}pre{white-space:pre-wrap;background:#f6f6f6;padding:1em}dt{font-weight:bold}</style>
</head><body>
<p><a href="{{.Back}}">All mail</a></p>
<h1>{{.Msg.Subject}}</h1>
<dl><dt>From</dt><dd>{{.Msg.FromName}}</dd><dt>To</dt><dd>{{range $i, $a := .Msg.To}}{{if $i}}, {{end}}{{$a}}{{end}}</dd>
{{if .Msg.Cc}}<dt>Cc</dt><dd>{{range $i, $a := .Msg.Cc}}{{if $i}}, {{end}}{{$a}}{{end}}</dd>{{end}}
<dt>Tenant</dt><dd>{{.Tenant}}</dd><dt>Status</dt><dd>{{.Status}} (attempts {{.Rec.Attempts}}){{if .Rec.LastError}}: {{.Rec.LastError}}{{end}}</dd></dl>
<p><a href="{{.HTMLLink}}">HTML part</a> (opens sandboxed)</p>
<h2>Text part</h2>
<pre>{{.Text}}</pre>
</body></html>{{end}}`))

func (d *DevMailbox) list(w http.ResponseWriter, r *http.Request) {
	recs, err := d.Store.ListMail(r.Context(), store.MailFilter{Limit: devMailboxLimit})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	names := d.tenantNames(r)
	rows := make([]listRow, len(recs))
	for i, m := range recs {
		rows[i] = listRow{OutboundMail: m, Status: Status(m), Link: d.Prefix + "/" + m.TenantID + "/" + m.ID,
			Tenant: tenantName(names, m.TenantID)}
	}
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = devTemplates.Execute(w, rows)
}

func (d *DevMailbox) find(r *http.Request) (store.OutboundMail, Message, error) {
	tenantID, id := r.PathValue("tenant"), r.PathValue("id")
	recs, err := d.Store.ListMail(r.Context(), store.MailFilter{TenantID: tenantID})
	if err != nil {
		return store.OutboundMail{}, Message{}, err
	}
	for _, rec := range recs {
		if rec.ID == id {
			m, err := Open(d.Sealer, rec)
			return rec, m, err
		}
	}
	return store.OutboundMail{}, Message{}, store.ErrNotFound
}

func (d *DevMailbox) show(w http.ResponseWriter, r *http.Request) {
	rec, m, err := d.find(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = devTemplates.ExecuteTemplate(w, "show", map[string]any{
		"Rec": rec, "Msg": m, "Status": Status(rec), "Back": d.Prefix,
		"Tenant": tenantName(d.tenantNames(r), rec.TenantID), "Text": linkify(m.Text),
		"HTMLLink": d.Prefix + "/" + rec.TenantID + "/" + rec.ID + "/html",
	})
}

func (d *DevMailbox) html(w http.ResponseWriter, r *http.Request) {
	_, m, err := d.find(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Security-Policy", htmlCSP)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write([]byte(m.HTML))
}

func (d *DevMailbox) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if d.Logger != nil {
		d.Logger.WarnContext(r.Context(), "development mailbox", "err", err)
	}
	http.Error(w, "mailbox unavailable", http.StatusInternalServerError)
}
