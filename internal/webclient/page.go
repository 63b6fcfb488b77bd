package webclient

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Page is what a request ended with: an HTML page (Forms parsed), any
// other response, or a captured redirect to a stop URL (Stop set).
type Page struct {
	// URL answered the request, after the redirects followed.
	URL    *url.URL
	Status int
	Header http.Header
	Body   []byte
	Title  string
	Forms  []*Form
	// Stop is the captured redirect to a stop URL (the relying party's
	// redirect URI, with code, state, iss or error in its query); nil
	// when the provider answered a page.
	Stop *url.URL
	text string
}

// Stopped reports whether the flow reached a stop URL.
func (p *Page) Stopped() bool { return p.Stop != nil }

// Query answers the stop URL's query (code, state, iss, error …), or nil
// when the flow did not stop.
func (p *Page) Query() url.Values {
	if p.Stop == nil {
		return nil
	}
	return p.Stop.Query()
}

// Text answers the page's visible text (the title aside), whitespace collapsed: what a test
// reads to see whether a page says something.
func (p *Page) Text() string { return p.text }

// FormWith answers the first form with an input named name or carrying the
// autocomplete token name, or ErrNoForm.
func (p *Page) FormWith(name string) (*Form, error) {
	for _, f := range p.Forms {
		if f.Input(name) != nil {
			return f, nil
		}
	}
	return nil, fmt.Errorf("%w: none has a field %q (page %s, status %d)", ErrNoForm, name, redact(p.URL), p.Status)
}

// Form is one <form> of a page.
type Form struct {
	ID      string
	Name    string
	Action  string // as written; "" posts to the page itself
	Method  string // GET or POST
	Enctype string
	Inputs  []*Input
	Buttons []*Button
	// base resolves Action: the page's URL or its <base href>.
	base *url.URL
}

// Input is a field of a form: <input>, <select> or <textarea>.
type Input struct {
	Name  string
	Type  string // lower-cased; "select" and "textarea" for those elements
	Value string
	// Autocomplete holds the autocomplete attribute's tokens, e.g.
	// ["username"] or ["section-a", "current-password"].
	Autocomplete []string
	// Checked matters for checkboxes and radio buttons only.
	Checked  bool
	Disabled bool
	// Options are a select's option values.
	Options []string
}

// HasToken reports whether the input carries the autocomplete token.
func (in *Input) HasToken(token string) bool { return slices.Contains(in.Autocomplete, token) }

// Button is a way to submit a form: <button type=submit> or <input
// type=submit|image>.
type Button struct {
	Name  string
	Value string
	// Text is what it shows: its content, or its value attribute.
	Text       string
	FormAction string
	FormMethod string
}

// Input answers the first input named key, else the first carrying the
// autocomplete token key; nil when there is none.
func (f *Form) Input(key string) *Input {
	for _, in := range f.Inputs {
		if in.Name == key {
			return in
		}
	}
	for _, in := range f.Inputs {
		if in.HasToken(key) {
			return in
		}
	}
	return nil
}

// Fill sets the value of the input named key, or carrying the
// autocomplete token key (username, current-password, one-time-code …).
// For checkboxes and radio buttons it checks the one whose value is value
// (and unchecks the rest of a radio group).
func (f *Form) Fill(key, value string) error {
	in := f.Input(key)
	if in == nil {
		return fmt.Errorf("webclient: the form has no field named or autocompleted %q", key)
	}
	switch in.Type {
	case "radio", "checkbox":
		found := false
		for _, other := range f.Inputs {
			if other.Name != in.Name || other.Type != in.Type {
				continue
			}
			if other.Value == value {
				other.Checked, found = true, true
			} else if in.Type == "radio" {
				other.Checked = false
			}
		}
		if !found {
			return fmt.Errorf("webclient: %s %q has no value %q", in.Type, in.Name, value)
		}
	default:
		in.Value = value
	}
	return nil
}

// Button answers the first button whose name, value or text is key; nil
// when there is none.
func (f *Form) Button(key string) *Button {
	for _, b := range f.Buttons {
		if b.Name == key || b.Value == key || b.Text == key {
			return b
		}
	}
	return nil
}

// Values answers what the form submits, without any button: the named,
// enabled fields; checkboxes and radios only when checked.
func (f *Form) Values() url.Values {
	v := url.Values{}
	for _, in := range f.Inputs {
		if in.Name == "" || in.Disabled {
			continue
		}
		switch in.Type {
		case "radio", "checkbox":
			if in.Checked {
				value := in.Value
				if value == "" {
					value = "on"
				}
				v.Add(in.Name, value)
			}
		case "file", "reset", "button":
		default:
			v.Add(in.Name, in.Value)
		}
	}
	return v
}

// parse reads the page's title, text and forms.
func (p *Page) parse() error {
	doc, err := html.Parse(bytes.NewReader(p.Body))
	if err != nil {
		return fmt.Errorf("webclient: parse %s: %w", redact(p.URL), err)
	}
	base := p.URL
	var text strings.Builder
	var walk func(n *html.Node, form *Form)
	walk = func(n *html.Node, form *Form) {
		if n.Type == html.TextNode {
			text.WriteString(n.Data)
			text.WriteByte(' ')
			return
		}
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Template:
				return
			case atom.Title:
				p.Title = strings.TrimSpace(textOf(n))
				return // the tab's text, not the page's
			case atom.Base:
				if href, ok := attr(n, "href"); ok {
					if u, err := p.URL.Parse(href); err == nil {
						base = u
					}
				}
			case atom.Form:
				if form == nil { // nested forms are invalid HTML: the outer one wins
					form = &Form{
						ID: attrOr(n, "id"), Name: attrOr(n, "name"), Action: attrOr(n, "action"),
						Method:  strings.ToUpper(strings.TrimSpace(attrOr(n, "method"))),
						Enctype: strings.ToLower(strings.TrimSpace(attrOr(n, "enctype"))),
					}
					if form.Method != "POST" {
						form.Method = "GET"
					}
					p.Forms = append(p.Forms, form)
				}
			case atom.Input:
				if form != nil {
					addInput(form, n)
				}
			case atom.Button:
				if form != nil && strings.ToLower(attrOr(n, "type")) != "button" && strings.ToLower(attrOr(n, "type")) != "reset" {
					form.Buttons = append(form.Buttons, &Button{
						Name: attrOr(n, "name"), Value: attrOr(n, "value"), Text: strings.TrimSpace(textOf(n)),
						FormAction: attrOr(n, "formaction"), FormMethod: attrOr(n, "formmethod"),
					})
				}
			case atom.Select:
				if form != nil {
					form.Inputs = append(form.Inputs, selectInput(n))
				}
			case atom.Textarea:
				if form != nil {
					form.Inputs = append(form.Inputs, &Input{
						Name: attrOr(n, "name"), Type: "textarea", Value: textOf(n),
						Autocomplete: tokens(n), Disabled: hasAttr(n, "disabled"),
					})
				}
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, form)
		}
	}
	walk(doc, nil)
	for _, f := range p.Forms {
		f.base = base
	}
	p.text = strings.Join(strings.Fields(text.String()), " ")
	return nil
}

func addInput(f *Form, n *html.Node) {
	typ := strings.ToLower(strings.TrimSpace(attrOr(n, "type")))
	if typ == "" {
		typ = "text"
	}
	switch typ {
	case "submit", "image":
		value := attrOr(n, "value")
		f.Buttons = append(f.Buttons, &Button{
			Name: attrOr(n, "name"), Value: value, Text: value,
			FormAction: attrOr(n, "formaction"), FormMethod: attrOr(n, "formmethod"),
		})
		return
	case "reset", "button":
		return
	}
	value, hasValue := attr(n, "value")
	if !hasValue && (typ == "checkbox" || typ == "radio") {
		value = "on"
	}
	f.Inputs = append(f.Inputs, &Input{
		Name: attrOr(n, "name"), Type: typ, Value: value, Autocomplete: tokens(n),
		Checked: hasAttr(n, "checked"), Disabled: hasAttr(n, "disabled"),
	})
}

func selectInput(n *html.Node) *Input {
	in := &Input{Name: attrOr(n, "name"), Type: "select", Autocomplete: tokens(n), Disabled: hasAttr(n, "disabled")}
	first, chosen := "", false
	var walk func(*html.Node)
	walk = func(c *html.Node) {
		if c.Type == html.ElementNode && c.DataAtom == atom.Option {
			value, ok := attr(c, "value")
			if !ok {
				value = strings.TrimSpace(textOf(c))
			}
			if len(in.Options) == 0 {
				first = value
			}
			in.Options = append(in.Options, value)
			if hasAttr(c, "selected") && !chosen {
				in.Value, chosen = value, true
			}
		}
		for g := c.FirstChild; g != nil; g = g.NextSibling {
			walk(g)
		}
	}
	walk(n)
	if !chosen {
		in.Value = first
	}
	return in
}

func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

func attrOr(n *html.Node, name string) string {
	v, _ := attr(n, name)
	return v
}

func hasAttr(n *html.Node, name string) bool {
	_, ok := attr(n, name)
	return ok
}

// tokens answers the autocomplete attribute's tokens, lower-cased.
func tokens(n *html.Node) []string {
	return strings.Fields(strings.ToLower(attrOr(n, "autocomplete")))
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
		for g := c.FirstChild; g != nil; g = g.NextSibling {
			walk(g)
		}
	}
	walk(n)
	return b.String()
}

// Press fills the page's first form that has field (fill maps field names
// or autocomplete tokens to values) and submits it with the button named
// button, as a person would; a page without such a form or button is an
// error. Error pages with forms (a wrong code, a wrong password) are
// pressed like any other.
func (c *Client) Press(ctx context.Context, p *Page, field, button string, fill map[string]string) (*Page, error) {
	f, err := p.FormWith(field)
	if err != nil {
		return nil, err
	}
	for k, v := range fill {
		if err := f.Fill(k, v); err != nil {
			return nil, err
		}
	}
	b := f.Button(button)
	if b == nil {
		return nil, fmt.Errorf("webclient: no button %q on %s: %s", button, redact(p.URL), p.Summary())
	}
	return c.Submit(ctx, f, b)
}
