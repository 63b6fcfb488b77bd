package api

import (
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/foyer-idp/foyer/internal/secret"
)

// renderFilter writes a parsed filter back as OData: clauses in property
// order, quotes doubled inside literals.
func renderFilter(m map[string]string) string {
	var clauses []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		clauses = append(clauses, k+" eq '"+strings.ReplaceAll(m[k], "'", "''")+"'")
	}
	return strings.Join(clauses, " and ")
}

// requireAPIError fails unless err is the API's own 400 error: a raw
// error would reach the client as a 500.
func requireAPIError(t *testing.T, err error) {
	t.Helper()
	var ae *apiError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an *apiError", err, err)
	}
	if ae.status != http.StatusBadRequest || ae.message == "" {
		t.Fatalf("error %+v: want a 400 with a message", ae)
	}
}

// FuzzParseFilter: every $filter is either refused with a 400 or parsed
// to clauses of filterable properties whose values are plain text, and
// the parsed filter, written back, parses to the same clauses.
func FuzzParseFilter(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		for _, rs := range []resource{userResource, invitationResource} {
			got, err := parseFilter(s, rs)
			if err != nil {
				requireAPIError(t, err)
				continue
			}
			if len(got) == 0 {
				t.Fatalf("%q parsed to no clause", s)
			}
			for k, v := range got {
				if !slices.Contains(rs.filterable, k) {
					t.Fatalf("%q: property %q is not filterable on %s", s, k, rs.name)
				}
				if !plainText(v) {
					t.Fatalf("%q: value %q of %q holds control characters or invalid UTF-8", s, v, k)
				}
			}
			again, err := parseFilter(renderFilter(got), rs)
			if err != nil {
				t.Fatalf("%q re-rendered as %q does not parse: %v", s, renderFilter(got), err)
			}
			if !maps.Equal(got, again) {
				t.Fatalf("%q parsed to %q, re-rendered to %q, parsed to %q", s, got, renderFilter(got), again)
			}
		}
	})
}

// FuzzParseQuery: any query string is refused with a 400 or read into
// a page size within bounds, known distinct $select fields and
// filterable clauses; a $skiptoken is never accepted unless it is one
// this API issued.
func FuzzParseQuery(f *testing.F) {
	a := &API{paging: secret.GenerateMasterKey().Hasher("api-paging")}
	p := Principal{TenantID: "t1"}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		for _, c := range []struct {
			rs         resource
			collection bool
		}{{userResource, true}, {userResource, false}, {invitationResource, true}, {applicationResource, true}} {
			r := httptest.NewRequest(http.MethodGet, "/v1.0/"+c.rs.collection, nil)
			r.URL.RawQuery = rawQuery
			q, err := a.parseQuery(r, p, c.rs, c.collection)
			if err != nil {
				requireAPIError(t, err)
				continue
			}
			if q.top < 1 || q.top > maxTop {
				t.Fatalf("%q: $top %d out of bounds", rawQuery, q.top)
			}
			seen := map[string]bool{}
			for _, s := range q.selects {
				if !c.rs.known(s) || seen[s] {
					t.Fatalf("%q: $select %q unknown on %s or repeated", rawQuery, q.selects, c.rs.name)
				}
				seen[s] = true
			}
			for k := range q.filter {
				if !c.collection || !slices.Contains(c.rs.filterable, k) {
					t.Fatalf("%q: filter on %q accepted for %s (collection %v)", rawQuery, k, c.rs.name, c.collection)
				}
			}
			if q.skipAfter != "" {
				t.Fatalf("%q: a $skiptoken this API never issued was accepted", rawQuery)
			}
			// The next page's link carries the same options and reads back
			// to the same query.
			if c.collection {
				next, err := url.Parse(a.nextLink(r, q, p, c.rs, "last-id"))
				if err != nil {
					t.Fatalf("%q: next link does not parse: %v", rawQuery, err)
				}
				r2 := httptest.NewRequest(http.MethodGet, "/v1.0/"+c.rs.collection, nil)
				r2.URL.RawQuery = next.RawQuery
				q2, err := a.parseQuery(r2, p, c.rs, true)
				if err != nil {
					t.Fatalf("%q: next link %q refused: %v", rawQuery, next.RawQuery, err)
				}
				if q2.top != q.top || !slices.Equal(q2.selects, q.selects) || !maps.Equal(q2.filter, q.filter) || q2.skipAfter != "last-id" {
					t.Fatalf("%q: next link %q reads as another query", rawQuery, next.RawQuery)
				}
			}
		}
	})
}
