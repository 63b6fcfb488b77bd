package webclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Credentials are what a sign-in form asks for.
type Credentials struct {
	Username string
	Password string
}

// MaxSignInSteps bounds the pages SignIn goes through.
const MaxSignInSteps = 8

// ErrSignInRefused means the provider showed the sign-in form again after
// the credentials were submitted: a wrong password, a locked account.
var ErrSignInRefused = errors.New("sign-in refused")

// SignIn drives a sign-in as a person would: it loads start (an
// authorization URL) and then, page after page, fills the fields with the
// autocomplete tokens username and current-password (as many as the page
// has: one page or identifier first), approves a consent or any other
// one-button page, until the provider redirects to a stop URL. The answer
// is that stop page, or a page asking for a one-time code (autocomplete
// one-time-code), which only the caller can fill; a page that cannot be
// driven is an error quoting its text.
func (c *Client) SignIn(ctx context.Context, start string, cred Credentials) (*Page, error) {
	page, err := c.Get(ctx, start)
	if err != nil {
		return nil, err
	}
	return c.Continue(ctx, page, cred)
}

// Continue is SignIn from a page already loaded.
func (c *Client) Continue(ctx context.Context, page *Page, cred Credentials) (*Page, error) {
	sentPassword := false
	for range MaxSignInSteps {
		if page.Stopped() {
			return page, nil
		}
		if page.Status >= http.StatusBadRequest {
			return nil, fmt.Errorf("webclient: %s answered %d: %s", redact(page.URL), page.Status, page.Summary())
		}
		if asksForCode(page) {
			return page, nil
		}
		form, button := pickForm(page)
		if form == nil {
			return nil, fmt.Errorf("webclient: %s (status %d) has no form to submit: %s", redact(page.URL), page.Status, page.Summary())
		}
		user, pw := usernameField(form), passwordField(form)
		if pw != nil && sentPassword {
			return nil, fmt.Errorf("webclient: %w: %s", ErrSignInRefused, page.Summary())
		}
		if user != nil && user.Type != "hidden" && cred.Username != "" {
			user.Value = cred.Username
		}
		if pw != nil {
			pw.Value = cred.Password
		}
		next, err := c.Submit(ctx, form, button)
		if err != nil {
			return nil, err
		}
		page, sentPassword = next, pw != nil
	}
	return nil, fmt.Errorf("webclient: no redirect to the relying party after %d pages", MaxSignInSteps)
}

// asksForCode reports whether a page wants a one-time code typed.
func asksForCode(p *Page) bool {
	for _, f := range p.Forms {
		for _, in := range f.Inputs {
			if in.HasToken("one-time-code") {
				return true
			}
		}
	}
	return false
}

// Summary answers the page's title and the start of its text, for errors.
func (p *Page) Summary() string {
	s := p.text
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	if p.Title != "" && !strings.HasPrefix(s, p.Title) {
		s = p.Title + ": " + s
	}
	return s
}

// pickForm answers the form to submit and its button: a credentials form
// first, otherwise the first form with an approving button.
func pickForm(p *Page) (*Form, *Button) {
	for _, f := range p.Forms {
		if usernameField(f) != nil || passwordField(f) != nil {
			return f, approving(f)
		}
	}
	for _, f := range p.Forms {
		if b := approving(f); b != nil {
			return f, b
		}
	}
	if len(p.Forms) == 1 && len(p.Forms[0].Buttons) == 0 {
		return p.Forms[0], nil
	}
	return nil, nil
}

var (
	approveWords = []string{"allow", "accept", "approve", "consent", "grant", "yes", "continue", "confirm", "sign in", "log in", "next", "submit"}
	declineWords = []string{"deny", "cancel", "reject", "decline", "no", "back", "abort", "sign out", "another"}
)

// approving answers the button that says yes, else the first that does
// not say no.
func approving(f *Form) *Button {
	matches := func(b *Button, words []string) bool {
		for _, s := range []string{b.Name, b.Value, b.Text} {
			s = strings.ToLower(s)
			if slices.ContainsFunc(words, func(w string) bool { return s == w || strings.Contains(s, w) && len(w) > 3 }) {
				return true
			}
		}
		return false
	}
	for _, b := range f.Buttons {
		if matches(b, approveWords) && !matches(b, declineWords) {
			return b
		}
	}
	for _, b := range f.Buttons {
		if !matches(b, declineWords) {
			return b
		}
	}
	return nil
}

func usernameField(f *Form) *Input {
	for _, in := range f.Inputs {
		if in.HasToken("username") || in.HasToken("email") {
			return in
		}
	}
	for _, in := range f.Inputs {
		if in.Type == "email" || in.Type == "text" && slices.Contains([]string{"username", "email", "login"}, in.Name) {
			return in
		}
	}
	return nil
}

func passwordField(f *Form) *Input {
	for _, in := range f.Inputs {
		if in.HasToken("current-password") {
			return in
		}
	}
	for _, in := range f.Inputs {
		if in.Type == "password" {
			return in
		}
	}
	return nil
}
