package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"
)

// DefaultLanguage is the language every template exists in and the one
// asked-for languages fall back to.
const DefaultLanguage = "en-US"

// defaultAccent is used when the tenant has no (valid) accent colour.
const defaultAccent = "#2563eb"

// Message is a rendered email, ready for the outbox.
type Message struct {
	To      []string
	Cc      []string
	Subject string
	Text    string
	HTML    string
	// FromName is the display name of the sender; the address is the
	// operator's (mail.from).
	FromName string
	// Bulk mail (invitations) waits behind mail a person is waiting for
	// (passcodes, security notices).
	Bulk bool
}

// Branding is what an email shows of the tenant.
type Branding struct {
	// Name is the organisation's display name.
	Name string
	// LogoURL is shown when it is an https URL.
	LogoURL string
	// AccentColor is #rrggbb.
	AccentColor string
	// SenderName is the From display name; Name when empty.
	SenderName string
}

// InvitationData is what an invitation email says.
type InvitationData struct {
	// Language is a BCP 47 tag (en-US, de-DE …); unknown or empty falls
	// back to the base language's template, then to en-US.
	Language string
	To       []string
	Cc       []string
	Brand    Branding
	// Inviter is the name of who invited.
	Inviter string
	// Message is the inviter's note, plain text: always shown as text,
	// never as markup.
	Message string
	// RedeemURL accepts the invitation; BlockURL blocks future invitations
	// from the tenant. Both must be http(s) URLs.
	RedeemURL string
	BlockURL  string
}

// templateFiles holds templates/layout.html.tmpl and one folder per
// language with, for each kind of email, KIND.txt.tmpl (defining
// "subject" and "text") and KIND.html.tmpl (defining "subject", "content"
// and "footer", placed in the shared layout). To add a language, add its
// folder with every kind.
//
//go:embed templates
var templateFiles embed.FS

// langTemplates are one language's parsed templates of one kind.
type langTemplates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// catalogue maps kind → language → templates. It is parsed once from the
// embedded files, which never change.
var catalogue = sync.OnceValues(func() (map[string]map[string]langTemplates, error) {
	return parseTemplates(templateFiles)
})

func parseTemplates(files fs.FS) (map[string]map[string]langTemplates, error) {
	layout, err := fs.ReadFile(files, "templates/layout.html.tmpl")
	if err != nil {
		return nil, err
	}
	langs, err := fs.ReadDir(files, "templates")
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]langTemplates{}
	for _, lang := range langs {
		if !lang.IsDir() {
			continue
		}
		dir := path.Join("templates", lang.Name())
		texts, err := fs.Glob(files, path.Join(dir, "*.txt.tmpl"))
		if err != nil {
			return nil, err
		}
		for _, textFile := range texts {
			kind := strings.TrimSuffix(path.Base(textFile), ".txt.tmpl")
			text, err := texttemplate.ParseFS(files, textFile)
			if err != nil {
				return nil, err
			}
			html, err := htmltemplate.New("layout").Parse(string(layout))
			if err != nil {
				return nil, err
			}
			if html, err = html.ParseFS(files, path.Join(dir, kind+".html.tmpl")); err != nil {
				return nil, err
			}
			if out[kind] == nil {
				out[kind] = map[string]langTemplates{}
			}
			out[kind][lang.Name()] = langTemplates{text: text, html: html}
		}
	}
	return out, nil
}

// pickLanguage answers the language to render: the one asked for, else
// the first with the same base language (en-GB → en-US), else en-US.
func pickLanguage(available map[string]langTemplates, asked string) string {
	asked = strings.ReplaceAll(strings.TrimSpace(asked), "_", "-")
	for lang := range available {
		if strings.EqualFold(lang, asked) {
			return lang
		}
	}
	base, _, _ := strings.Cut(asked, "-")
	if base != "" {
		var match string
		for lang := range available {
			b, _, _ := strings.Cut(lang, "-")
			if strings.EqualFold(b, base) && (match == "" || lang < match) {
				match = lang
			}
		}
		if match != "" {
			return match
		}
	}
	return DefaultLanguage
}

// view is what the templates see; each kind uses its fields.
type view struct {
	Lang      string
	Brand     Branding
	Accent    string
	Inviter   string
	Message   string
	RedeemURL string
	BlockURL  string
	Code      string
	Minutes   int
	Change    string
}

var accentPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// Render renders an invitation in the language asked for.
func Render(d InvitationData) (Message, error) {
	if err := d.check(); err != nil {
		return Message{}, fmt.Errorf("render invitation: %w", err)
	}
	v := view{
		Inviter:   oneLine(d.Inviter),
		Message:   strings.TrimSpace(d.Message),
		RedeemURL: d.RedeemURL,
		BlockURL:  d.BlockURL,
	}
	if v.Inviter == "" {
		v.Inviter = oneLine(d.Brand.Name)
	}
	m, err := render("invitation", d.Language, d.Brand, v, d.To, d.Cc)
	m.Bulk = true
	return m, err
}

// PasscodeData is what a one-time passcode email says.
type PasscodeData struct {
	Language string
	To       string
	Brand    Branding
	// Code is the passcode itself; Lifetime how long it works.
	Code     string
	Lifetime time.Duration
}

// RenderPasscode renders a one-time passcode email.
func RenderPasscode(d PasscodeData) (Message, error) {
	if d.To == "" || d.Code == "" || strings.TrimSpace(d.Brand.Name) == "" || d.Lifetime < time.Minute {
		return Message{}, errors.New("render passcode: recipient, code, organisation name and a lifetime of at least a minute are required")
	}
	v := view{Code: d.Code, Minutes: int(d.Lifetime / time.Minute)}
	return render("passcode", d.Language, d.Brand, v, []string{d.To}, nil)
}

// SecurityInfoData is what a "your security info changed" email says.
type SecurityInfoData struct {
	Language string
	To       string
	Brand    Branding
	// Change says what changed, one line of plain text ("An authenticator
	// app was registered."); never a secret or a code.
	Change string
}

// RenderSecurityInfo renders the email telling a user that a sign-in
// method of theirs was added, replaced or removed.
func RenderSecurityInfo(d SecurityInfoData) (Message, error) {
	if d.To == "" || oneLine(d.Change) == "" || strings.TrimSpace(d.Brand.Name) == "" {
		return Message{}, errors.New("render security info: recipient, change and organisation name are required")
	}
	return render("securityinfo", d.Language, d.Brand, view{Change: oneLine(d.Change)}, []string{d.To}, nil)
}

// render fills v's shared fields from the brand and runs the kind's
// templates in the language asked for.
func render(kind, language string, brand Branding, v view, to, cc []string) (Message, error) {
	all, err := catalogue()
	if err != nil {
		return Message{}, fmt.Errorf("render %s: templates: %w", kind, err)
	}
	kinds := all[kind]
	v.Lang = pickLanguage(kinds, language)
	t, ok := kinds[v.Lang]
	if !ok {
		return Message{}, fmt.Errorf("render %s: no %s template", kind, v.Lang)
	}
	v.Brand = brand
	v.Brand.Name = oneLine(brand.Name)
	v.Accent = defaultAccent
	if accentPattern.MatchString(brand.AccentColor) {
		v.Accent = brand.AccentColor
	}
	if u, err := url.Parse(brand.LogoURL); err != nil || u.Scheme != "https" || u.Host == "" {
		v.Brand.LogoURL = ""
	}
	var subject, text, html bytes.Buffer
	if err := t.text.ExecuteTemplate(&subject, "subject", v); err != nil {
		return Message{}, fmt.Errorf("render %s subject: %w", kind, err)
	}
	if err := t.text.ExecuteTemplate(&text, "text", v); err != nil {
		return Message{}, fmt.Errorf("render %s text: %w", kind, err)
	}
	if err := t.html.ExecuteTemplate(&html, "layout", v); err != nil {
		return Message{}, fmt.Errorf("render %s html: %w", kind, err)
	}
	from := oneLine(brand.SenderName)
	if from == "" {
		from = v.Brand.Name
	}
	return Message{
		To:       to,
		Cc:       cc,
		Subject:  oneLine(subject.String()),
		Text:     text.String(),
		HTML:     html.String(),
		FromName: from,
	}, nil
}

func (d InvitationData) check() error {
	var errs []error
	if len(d.To) == 0 {
		errs = append(errs, errors.New("no recipient"))
	}
	if strings.TrimSpace(d.Brand.Name) == "" {
		errs = append(errs, errors.New("no organisation name"))
	}
	for name, raw := range map[string]string{"redeem URL": d.RedeemURL, "block URL": d.BlockURL} {
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s must be an http(s) URL", name))
		}
	}
	return errors.Join(errs...)
}

// oneLine makes s fit a header: control characters (CR and LF above all)
// become spaces, and runs of space one.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == ' ' }), " ")
}
