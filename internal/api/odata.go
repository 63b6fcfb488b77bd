package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/foyer-idp/foyer/internal/secret"
)

const (
	defaultTop = 100
	maxTop     = 999
	// maxBody bounds a request body; admin objects are small.
	maxBody = 64 << 10
)

// resource describes one Graph entity type: the fields it answers (in
// order), which a client may set, and which it may filter on.
type resource struct {
	name       string // Graph's type name, for messages
	collection string // the path segment and @odata.context set name
	fields     []string
	settable   []string
	filterable []string
	// selectOnly are fields answered only when $select names them, as
	// Graph does with signInActivity: they cost a read of their own.
	selectOnly []string
	// filter, when set, parses $filter instead of the directory's
	// `prop eq 'value' and …` (the logs').
	filter func(string) (map[string]string, error)
}

func (rs resource) known(f string) bool {
	return slices.Contains(rs.fields, f) || slices.Contains(rs.selectOnly, f)
}

// query is the OData subset a request asked for.
type query struct {
	top       int
	selects   []string
	filter    map[string]string // property → value, clauses joined by and
	skipAfter string            // the last id of the previous page
	raw       url.Values
}

// parseQuery reads $top, $select, $filter and $skiptoken. Any other
// system query option is refused rather than ignored, so a script never
// takes an unfiltered answer for a filtered one.
func (a *API) parseQuery(r *http.Request, p Principal, rs resource, collection bool) (query, error) {
	vals, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return query{}, badRequest("The query string is malformed.")
	}
	q := query{top: defaultTop, raw: vals}
	var allowed []string
	if len(rs.fields) > 0 {
		// A list of several types, or of none, has nothing to select.
		allowed = append(allowed, "$select")
	}
	if collection {
		allowed = append(allowed, "$top", "$skiptoken")
		if len(rs.filterable) > 0 {
			allowed = append(allowed, "$filter")
		}
	}
	for k, v := range vals {
		if !strings.HasPrefix(k, "$") {
			continue
		}
		if !slices.Contains(allowed, k) {
			return query{}, unsupported("Query option '%s' is not supported on this resource.", k)
		}
		if len(v) != 1 {
			return query{}, badRequest("Query option '%s' was specified more than once.", k)
		}
	}
	if vals.Has("$top") {
		v := vals.Get("$top")
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxTop {
			return query{}, badRequest("Invalid value '%s' for query option '$top': must be an integer from 1 to %d.", v, maxTop)
		}
		q.top = n
	}
	if vals.Has("$select") {
		for _, f := range strings.Split(vals.Get("$select"), ",") {
			f = strings.TrimSpace(f)
			if !rs.known(f) {
				return query{}, badRequest("Could not find a property named '%s' on type '%s'.", f, rs.name)
			}
			if !slices.Contains(q.selects, f) {
				q.selects = append(q.selects, f)
			}
		}
	}
	if vals.Has("$filter") {
		parse := func(s string) (map[string]string, error) { return parseFilter(s, rs) }
		if rs.filter != nil {
			parse = rs.filter
		}
		if q.filter, err = parse(vals.Get("$filter")); err != nil {
			return query{}, err
		}
	}
	if vals.Has("$skiptoken") {
		if q.skipAfter, err = a.openSkipToken(vals.Get("$skiptoken"), p, rs); err != nil {
			return query{}, err
		}
	}
	return q, nil
}

// parseFilter reads `prop eq 'value' [and prop eq 'value' …]`.
func parseFilter(s string, rs resource) (map[string]string, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for i := 0; ; i += 4 {
		if i+3 > len(toks) {
			return nil, badRequest("Invalid filter clause: expected 'property eq value'.")
		}
		prop, op, val := toks[i], toks[i+1], toks[i+2]
		switch {
		case prop.quoted:
			return nil, badRequest("Invalid filter clause: expected 'property eq value'.")
		case !slices.Contains(rs.filterable, prop.text) || !op.isWord("eq"):
			return nil, unsupported("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", prop.text, rs.name)
		case !val.quoted:
			return nil, badRequest("Invalid filter clause: the value for '%s' must be a quoted string.", prop.text)
		case !plainText(val.text):
			return nil, badRequest("Invalid filter clause: the value for '%s' must be text without control characters.", prop.text)
		}
		if _, dup := out[prop.text]; dup {
			return nil, unsupported("Property '%s' appears more than once in the filter.", prop.text)
		}
		out[prop.text] = val.text
		if i+3 == len(toks) {
			return out, nil
		}
		if !toks[i+3].isWord("and") || toks[i+3].quoted {
			return nil, unsupported("Only 'and' may join filter clauses.")
		}
	}
}

// plainText reports whether s is valid UTF-8 without control characters
// (NUL among them). Nothing Foyer stores holds one, and PostgreSQL refuses
// such a string outright: a lookup with one would fail as a server error
// instead of finding nothing.
func plainText(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}

type token struct {
	text   string
	quoted bool
}

func (t token) isWord(w string) bool { return !t.quoted && strings.EqualFold(t.text, w) }

// tokenize splits a filter into words and single-quoted strings (” is a
// quote inside one).
func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ':
			i++
		case c == '\'':
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, badRequest("Invalid filter: unterminated string literal.")
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			toks = append(toks, token{text: b.String(), quoted: true})
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\'' {
				j++
			}
			toks = append(toks, token{text: s[i:j]})
			i = j
		}
	}
	return toks, nil
}

// A skip token is the last id of a page, bound by a keyed hash to the
// tenant and collection, so a client can neither forge one nor carry one
// to another tenant or list.
func (a *API) skipToken(p Principal, rs resource, lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(lastID)) + "." + a.skipMAC(p, rs, lastID)
}

func (a *API) skipMAC(p Principal, rs resource, id string) string {
	return a.paging.Hash("skiptoken\x00" + p.TenantID + "\x00" + rs.collection + "\x00" + id)[:22]
}

func (a *API) openSkipToken(tok string, p Principal, rs resource) (string, error) {
	bad := badRequest("The $skiptoken is invalid or expired.")
	enc, mac, ok := strings.Cut(tok, ".")
	if !ok {
		return "", bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	// At most 128 bytes: an id, or a role assignment's two joined.
	if err != nil || len(raw) == 0 || len(raw) > 128 {
		return "", bad
	}
	if !secret.EqualHashes(mac, a.skipMAC(p, rs, string(raw))) {
		return "", bad
	}
	return string(raw), nil
}

// nextLink answers the link to the page after lastID, carrying the
// request's $top, $select and $filter.
func (a *API) nextLink(r *http.Request, q query, p Principal, rs resource, lastID string) string {
	var parts []string
	for _, k := range []string{"$filter", "$select", "$top"} {
		if q.raw.Has(k) {
			parts = append(parts, k+"="+url.QueryEscape(q.raw.Get(k)))
		}
	}
	parts = append(parts, "$skiptoken="+url.QueryEscape(a.skipToken(p, rs, lastID)))
	return a.baseURL + r.URL.Path + "?" + strings.Join(parts, "&")
}

// page cuts items (any order) to the page after q.skipAfter, in id order,
// and answers whether more follow.
func page[T any](items []T, id func(T) string, q query) ([]T, bool) {
	sort.Slice(items, func(i, j int) bool { return id(items[i]) < id(items[j]) })
	if q.skipAfter != "" {
		i := sort.Search(len(items), func(i int) bool { return id(items[i]) > q.skipAfter })
		items = items[i:]
	}
	if len(items) > q.top {
		return items[:q.top], true
	}
	return items, false
}

// project answers v as a JSON object holding only the resource's fields
// (or the selected ones), in a stable order. Fields v does not carry are
// null, as in Graph. Working from the allow-list means a field added to a
// store record is never published by accident.
func project(v any, rs resource, selects []string) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	fields := rs.fields
	if len(selects) > 0 {
		fields = selects
	}
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		if raw, ok := all[f]; ok {
			out[f] = raw
		} else {
			out[f] = nil
		}
	}
	return out, nil
}

// decodeBody reads a JSON object strictly: every property must be one the
// resource lets a client set. Unknown and read-only properties are named,
// all at once.
func decodeBody(w http.ResponseWriter, r *http.Request, rs resource) (map[string]json.RawMessage, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &apiError{http.StatusRequestEntityTooLarge, codeTooLarge,
				fmt.Sprintf("The request body exceeds the limit of %d bytes.", maxBody)}
		}
		return nil, badRequest("The request body could not be read.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, badRequest("The request body must be a JSON object.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badRequest("The request body must hold exactly one JSON object.")
	}
	var unknown, readOnly []string
	for k := range obj {
		switch {
		case slices.Contains(rs.settable, k):
		case rs.known(k):
			readOnly = append(readOnly, k)
		default:
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	sort.Strings(readOnly)
	var msgs []string
	for _, k := range unknown {
		msgs = append(msgs, fmt.Sprintf("Property '%s' does not exist on type '%s'.", k, rs.name))
	}
	for _, k := range readOnly {
		msgs = append(msgs, fmt.Sprintf("Property '%s' is read-only and cannot be set.", k))
	}
	if len(msgs) > 0 {
		return nil, badRequest("%s", strings.Join(msgs, " "))
	}
	return obj, nil
}

// strict decodes raw, the value of the body's property field, into dst.
// A property dst has no field for, at any depth, is named by its full
// path (invitedUserMessageInfo.ccRecipients[0].emailAddress.colour);
// otherwise a value of the wrong shape is refused with want.
func strict(raw json.RawMessage, dst any, rs resource, field, want string) []string {
	if unknown := unknownPaths(raw, reflect.TypeOf(dst), field); len(unknown) > 0 {
		msgs := make([]string, len(unknown))
		for i, path := range unknown {
			msgs[i] = fmt.Sprintf("Property '%s' does not exist on type '%s'.", path, rs.name)
		}
		return msgs
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return []string{fmt.Sprintf("Invalid value specified for property '%s': %s.", field, want)}
	}
	return nil
}

// unknownPaths answers the properties in raw that t has no JSON field
// for, at any depth, each by its path under path. A value of another
// shape than t (a string for an object) holds no unknown property: the
// decode reports it.
func unknownPaths(raw json.RawMessage, t reflect.Type, path string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return nil
		}
		fields := jsonFields(t)
		for k, v := range obj {
			ft, ok := fields[k]
			if !ok {
				out = append(out, path+"."+k)
				continue
			}
			out = append(out, unknownPaths(v, ft, path+"."+k)...)
		}
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil
		}
		for i, it := range items {
			out = append(out, unknownPaths(it, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	sort.Strings(out)
	return out
}

// jsonFields maps the JSON names of t's exported fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case f.Anonymous && name == "":
			maps.Copy(out, jsonFields(f.Type))
		case name == "":
			out[f.Name] = f.Type
		default:
			out[name] = f.Type
		}
	}
	return out
}

// fieldDecoder turns a decoded body's properties into typed values,
// collecting every type error.
type fieldDecoder struct {
	obj  map[string]json.RawMessage
	errs []string
}

// str sets *dst to the property's string when present; null clears it.
func (d *fieldDecoder) str(name string, dst **string) {
	raw, ok := d.obj[name]
	if !ok {
		return
	}
	var s *string
	if err := json.Unmarshal(raw, &s); err != nil {
		d.errs = append(d.errs, fmt.Sprintf("Invalid value specified for property '%s': must be a string.", name))
		return
	}
	if s == nil {
		s = new(string)
	}
	*dst = s
}

// boolean sets *dst to the property's value when present; null is refused.
func (d *fieldDecoder) boolean(name string, dst **bool) {
	raw, ok := d.obj[name]
	if !ok {
		return
	}
	var b *bool
	if err := json.Unmarshal(raw, &b); err != nil || b == nil {
		d.errs = append(d.errs, fmt.Sprintf("Invalid value specified for property '%s': must be true or false.", name))
		return
	}
	*dst = b
}

// list sets *dst to the property's array of strings when present; null
// clears it.
func (d *fieldDecoder) list(name string, dst **[]string) {
	raw, ok := d.obj[name]
	if !ok {
		return
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		d.errs = append(d.errs, fmt.Sprintf("Invalid value specified for property '%s': must be an array of strings.", name))
		return
	}
	if l == nil {
		l = []string{}
	}
	*dst = &l
}

// integer sets *dst to the property's value when present; null and
// fractions are refused.
func (d *fieldDecoder) integer(name string, dst **int) {
	raw, ok := d.obj[name]
	if !ok {
		return
	}
	var n *int
	if err := json.Unmarshal(raw, &n); err != nil || n == nil {
		d.errs = append(d.errs, fmt.Sprintf("Invalid value specified for property '%s': must be an integer.", name))
		return
	}
	*dst = n
}

func (d *fieldDecoder) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	return badRequest("%s", strings.Join(d.errs, " "))
}
