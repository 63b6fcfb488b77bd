package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/api"
	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore/sqltest"
)

// The OpenAPI document is kept true by these tests: every route Handler
// registers is documented with the permissions it checks and the query
// options it takes, nothing else is documented, and what the handlers
// answer on a real listener (on each back end) validates against the
// documented schemas, which are closed: a property an answer gains fails
// here until the document has it.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	tests := []sqltest.Case[*fixture]{
		{Name: "ServedWithoutToken", Fn: testOpenAPIServed},
		{Name: "EveryRouteAndNoOther", Fn: testOpenAPIRoutes},
		{Name: "QueryOptionsAsDocumented", Fn: testOpenAPIQueryOptions},
		{Name: "RequestPropertiesAsDocumented", Fn: testOpenAPIRequestProperties},
		{Name: "AnswersMatchSchemas", Fn: testOpenAPIAnswers},
	}
	sqltest.RunSuite(t, tests, newFixture)
}

// openAPIBase is the URL the document is known by to the schema compiler.
const openAPIBase = "https://foyer.example/v1.0/openapi.json"

// openAPI is the served document, parsed, with a compiler for the
// schemas in it.
type openAPI struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
}

// serve runs the API on a real listener, each request carrying p (nil:
// none), as the bearer middleware would put it.
func (f *fixture) serve(t *testing.T, p *api.Principal) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(injectPrincipal(p, f.handler))
	t.Cleanup(srv.Close)
	return srv
}

// fetchOpenAPI gets the document from the server, as a client without a
// token does.
func fetchOpenAPI(t *testing.T, f *fixture) *openAPI {
	t.Helper()
	res, err := http.Get(f.serve(t, nil).URL + "/v1.0/openapi.json")
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, string(raw))
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	require.NoError(t, c.AddResource(openAPIBase, doc))
	return &openAPI{doc: doc.(map[string]any), compiler: c}
}

// at answers the document's value at the path of keys, nil when absent.
func (o *openAPI) at(keys ...string) any {
	var v any = o.doc
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// operation answers the documented operation for method and path (under
// /v1.0), nil when there is none.
func (o *openAPI) operation(method, path string) map[string]any {
	op, _ := o.at("paths", path, strings.ToLower(method)).(map[string]any)
	return op
}

// schema compiles the schema at the path of keys in the document.
func (o *openAPI) schema(t *testing.T, keys ...string) *jsonschema.Schema {
	t.Helper()
	var frag strings.Builder
	for _, k := range keys {
		k = strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
		frag.WriteString("/" + url.PathEscape(k))
	}
	s, err := o.compiler.Compile(openAPIBase + "#" + frag.String())
	require.NoError(t, err, "compile %v", keys)
	return s
}

// responseSchema answers the keys of the schema documented for the
// operation's answer with status, following a shared response's $ref;
// nil when the answer has no body. A status not documented fails.
func (o *openAPI) responseSchema(t *testing.T, method, path string, status int) []string {
	t.Helper()
	code := strconv.Itoa(status)
	keys := []string{"paths", path, strings.ToLower(method), "responses", code}
	r, ok := o.at(keys...).(map[string]any)
	require.True(t, ok, "%s %s: status %d is not documented", method, path, status)
	if ref, ok := r["$ref"].(string); ok {
		keys = strings.Split(strings.TrimPrefix(ref, "#/"), "/")
		r, _ = o.at(keys...).(map[string]any)
	}
	if r["content"] == nil {
		return nil
	}
	return append(keys, "content", "application/json", "schema")
}

// requireValid validates the JSON raw against the schema at keys.
func (o *openAPI) requireValid(t *testing.T, raw []byte, what string, keys ...string) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	require.NoError(t, err, "%s: %s", what, raw)
	if err := o.schema(t, keys...).Validate(v); err != nil {
		t.Fatalf("%s does not match the OpenAPI document:\n%s\n%v", what, raw, err)
	}
}

func testOpenAPIServed(t *testing.T, f *fixture) {
	srv := f.serve(t, nil)
	res, err := http.Get(srv.URL + "/v1.0/openapi.json")
	require.NoError(t, err)
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "application/json", res.Header.Get("Content-Type"))
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.Equal(t, "3.1.0", doc["openapi"])
	// Tenant-neutral: relative to where it is served.
	require.Equal(t, []any{"/v1.0"}, []any{doc["servers"].([]any)[0].(map[string]any)["url"]})

	// Revalidation by ETag.
	etag := res.Header.Get("ETag")
	require.NotEmpty(t, etag)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/v1.0/openapi.json", nil)
	require.NoError(t, err)
	req.Header.Set("If-None-Match", etag)
	again, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	again.Body.Close()
	require.Equal(t, http.StatusNotModified, again.StatusCode)

	// Public means the document only: its neighbours still need a token,
	// and another method on it is no route.
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1.0/openapi.jsonx"}, {"GET", "/v1.0/users"}, {"POST", "/v1.0/openapi.json"},
	} {
		req, err := http.NewRequestWithContext(t.Context(), c.method, srv.URL+c.path, nil)
		require.NoError(t, err)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusUnauthorized, res.StatusCode, "%s %s", c.method, c.path)
	}
}

// pathParam finds the {name} segments of a path.
var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

func testOpenAPIRoutes(t *testing.T, f *fixture) {
	o := fetchOpenAPI(t, f)
	routes := api.Routes()
	registered := map[string]bool{}
	operationIDs := map[string]string{}
	for _, r := range routes {
		name := r.Method + " " + r.Path
		registered[name] = true
		op := o.operation(r.Method, r.Path)
		if op == nil {
			t.Errorf("%s is a route but not in openapi.json", name)
			continue
		}
		id, _ := op["operationId"].(string)
		require.NotEmpty(t, id, "%s: operationId", name)
		require.Empty(t, operationIDs[id], "%s: operationId %s is %s's too", name, id, operationIDs[id])
		operationIDs[id] = name
		// Security: one requirement per permission that grants the route
		// (any one suffices); none for a public route; a token without
		// scopes for the signed-in user's own routes.
		want := []any{}
		for _, g := range r.Grants {
			want = append(want, map[string]any{"oauth2": []any{g}})
		}
		if len(r.Grants) == 0 && !r.Public {
			want = []any{map[string]any{"oauth2": []any{}}}
		}
		require.Equal(t, want, op["security"], "%s: security must name the permissions the route checks", name)

		// Path parameters: each {name} documented, and no other.
		var inPath, documented []string
		for _, m := range pathParam.FindAllStringSubmatch(r.Path, -1) {
			inPath = append(inPath, m[1])
		}
		for _, p := range o.parameters(op) {
			if p["in"] == "path" {
				documented = append(documented, p["name"].(string))
				require.Equal(t, true, p["required"], "%s: path parameter %s", name, p["name"])
			}
		}
		require.ElementsMatch(t, inPath, documented, "%s: path parameters", name)

		// Every answer documented has a schema that compiles (its $refs
		// resolve).
		for code := range op["responses"].(map[string]any) {
			status, err := strconv.Atoi(code)
			require.NoError(t, err, "%s: response %q", name, code)
			if keys := o.responseSchema(t, r.Method, r.Path, status); keys != nil {
				o.schema(t, keys...)
			}
		}
		if op["requestBody"] != nil {
			o.schema(t, "paths", r.Path, strings.ToLower(r.Method), "requestBody", "content", "application/json", "schema")
		}
	}
	for path, item := range o.doc["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			name := strings.ToUpper(method) + " " + path
			require.True(t, registered[name], "openapi.json documents %s, which is no route", name)
		}
	}
	// Every schema in components compiles, used or not.
	for name := range o.at("components", "schemas").(map[string]any) {
		o.schema(t, "components", "schemas", name)
	}
}

// parameters answers an operation's parameters with shared ones resolved.
func (o *openAPI) parameters(op map[string]any) []map[string]any {
	list, _ := op["parameters"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, p := range list {
		m := p.(map[string]any)
		if ref, ok := m["$ref"].(string); ok {
			m = o.at(strings.Split(strings.TrimPrefix(ref, "#/"), "/")...).(map[string]any)
		}
		out = append(out, m)
	}
	return out
}

// allPermissions is an app holding every admin-API permission.
func (f *fixture) allPermissions() *api.Principal { return f.app(directory.APIPermissions...) }

// openAPIObjects makes one object of each kind a path names and answers
// the signed-in Tenant Administrator and a replacer that fills the
// documented paths' {id} with them.
func (f *fixture) openAPIObjects(t *testing.T) (store.User, *strings.Replacer) {
	t.Helper()
	boss := f.memberWithRole(t, f.a.ID, "boss@contoso.example", directory.RoleTenantAdministrator)
	g := f.group(t, f.a.ID, "Staff")
	app, _, err := f.dir.CreateApplication(t.Context(), f.a.ID, directory.NewApplication{DisplayName: "CRM",
		ClientType: store.ClientConfidential, RedirectURIs: []string{"https://crm.contoso.example/cb"}})
	require.NoError(t, err)
	_, err = f.dir.AddDomain(t.Context(), f.a.ID, "contoso.example")
	require.NoError(t, err)
	idp := f.call(t, f.app(idpWriter...), "POST", idpPath, oidcBody())
	require.Equal(t, http.StatusCreated, idp.status, idp.raw)
	fill := strings.NewReplacer("/users/{id}", "/users/"+boss.ID, "/userRegistrationDetails/{id}", "/userRegistrationDetails/"+boss.ID, "/groups/{id}", "/groups/"+g.ID,
		"/applications/{id}", "/applications/"+app.ID, "/identityProviders/{id}", "/identityProviders/"+idp.body["id"].(string),
		"/organization/{id}", "/organization/"+f.a.ID, "/domains/{id}", "/domains/contoso.example",
		"/roleDefinitions/{id}", "/roleDefinitions/"+tenantAdminDef, "/roleAssignments/{id}", "/roleAssignments/"+tenantAdminDef+"_"+boss.ID)
	return boss, fill
}

func testOpenAPIQueryOptions(t *testing.T, f *fixture) {
	o := fetchOpenAPI(t, f)
	boss, fill := f.openAPIObjects(t)
	admin := f.serve(t, f.allPermissions())
	me := f.serve(t, f.delegated(boss.ID))
	// A value of each option that is well formed where it is supported;
	// a $filter clause no list has, so a supported $filter is refused by
	// the clause, not the option.
	options := map[string]string{"$select": "id", "$top": "1", "$skiptoken": "not-a-token", "$filter": "nothing eq 'x'"}
	for _, r := range api.Routes() {
		if r.Method != http.MethodGet || r.Public {
			continue
		}
		op := o.operation(r.Method, r.Path)
		require.NotNil(t, op, r.Path)
		var documented []string
		for _, p := range o.parameters(op) {
			if p["in"] == "query" {
				documented = append(documented, p["name"].(string))
			}
		}
		srv := admin
		if len(r.Grants) == 0 {
			srv = me
		}
		for opt, val := range options {
			target := srv.URL + "/v1.0" + fill.Replace(r.Path) + "?" + url.QueryEscape(opt) + "=" + url.QueryEscape(val)
			res, err := http.Get(target)
			require.NoError(t, err)
			raw, err := io.ReadAll(res.Body)
			res.Body.Close()
			require.NoError(t, err)
			refusedOption := res.StatusCode == http.StatusBadRequest &&
				strings.Contains(string(raw), "Query option '"+opt+"' is not supported")
			if slices.Contains(documented, opt) {
				require.False(t, refusedOption, "GET %s documents %s but refuses it: %s", r.Path, opt, raw)
				require.Less(t, res.StatusCode, 500, "GET %s?%s: %s", r.Path, opt, raw)
			} else {
				require.True(t, refusedOption, "GET %s takes %s, which openapi.json does not document: %d %s", r.Path, opt, res.StatusCode, raw)
			}
		}
	}
}

// resolve answers the schema m, or the one its $ref names.
func (o *openAPI) resolve(m map[string]any) map[string]any {
	if ref, ok := m["$ref"].(string); ok {
		m, _ = o.at(strings.Split(strings.TrimPrefix(ref, "#/"), "/")...).(map[string]any)
	}
	return m
}

// propertyPaths answers the properties a body schema documents, nested
// objects' too, as dotted paths (web.redirectUris).
func (o *openAPI) propertyPaths(schema map[string]any, prefix string) []string {
	props, _ := o.resolve(schema)["properties"].(map[string]any)
	var out []string
	for name, sub := range props {
		out = append(out, prefix+name)
		out = append(out, o.propertyPaths(sub.(map[string]any), prefix+name+".")...)
	}
	slices.Sort(out)
	return out
}

// nested is a body holding the property at the dotted path, as null.
func nested(path string) map[string]any {
	name, rest, deeper := strings.Cut(path, ".")
	if !deeper {
		return map[string]any{name: nil}
	}
	return map[string]any{name: nested(rest)}
}

// testOpenAPIRequestProperties sends each property a request body
// documents, alone: none is refused as unknown or read-only (the value,
// null, may well be refused). A property the document does not have is
// refused by name, as the closed request schemas say.
func testOpenAPIRequestProperties(t *testing.T, f *fixture) {
	o := fetchOpenAPI(t, f)
	_, fill := f.openAPIObjects(t)
	srv := f.serve(t, f.allPermissions())
	send := func(method, path string, body map[string]any) (int, string) {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+"/v1.0"+fill.Replace(path), bytes.NewReader(raw))
		require.NoError(t, err)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		answer, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(answer)
	}
	for _, r := range api.Routes() {
		body, _ := o.at("paths", r.Path, strings.ToLower(r.Method), "requestBody", "content", "application/json", "schema").(map[string]any)
		if body == nil {
			continue
		}
		for _, prop := range o.propertyPaths(body, "") {
			status, answer := send(r.Method, r.Path, nested(prop))
			require.Less(t, status, 500, "%s %s {%s}: %s", r.Method, r.Path, prop, answer)
			require.NotContains(t, answer, "Property '"+prop+"' does not exist", "%s %s documents %s", r.Method, r.Path, prop)
			require.NotContains(t, answer, "Property '"+prop+"' is read-only", "%s %s documents %s", r.Method, r.Path, prop)
		}
		status, answer := send(r.Method, r.Path, map[string]any{"notDocumented": true})
		require.Equal(t, http.StatusBadRequest, status, "%s %s: %s", r.Method, r.Path, answer)
		require.Contains(t, answer, "Property 'notDocumented' does not exist", "%s %s", r.Method, r.Path)
	}
}

// driver sends requests to the real server as the document describes
// them, validates bodies both ways against the document, and records the
// success statuses each route answered.
type driver struct {
	t         *testing.T
	o         *openAPI
	succeeded map[string]map[int]bool
}

func (d *driver) record(route string, status int) {
	if status >= 300 {
		return
	}
	if d.succeeded[route] == nil {
		d.succeeded[route] = map[int]bool{}
	}
	d.succeeded[route][status] = true
}

// do sends body (nil: none) to target on srv as route (method and
// documented path), expecting status, and answers the decoded answer.
func (d *driver) do(srv *httptest.Server, route, target string, body any, status int) map[string]any {
	t := d.t
	t.Helper()
	method, path, _ := strings.Cut(route, " ")
	op := d.o.operation(method, path)
	require.NotNil(t, op, "%s is not documented", route)
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		require.NotNil(t, op["requestBody"], "%s: a body is not documented", route)
		d.o.requireValid(t, raw, route+" request body",
			"paths", path, strings.ToLower(method), "requestBody", "content", "application/json", "schema")
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+target, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, status, res.StatusCode, "%s %s: %s", method, target, raw)
	keys := d.o.responseSchema(t, method, path, status)
	if keys == nil {
		require.Empty(t, raw, "%s answers %d with a body the document does not have", route, status)
		d.record(route, status)
		return nil
	}
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out))
	if req.URL.Query().Has("$select") {
		// Only the selected properties: the caller checks them with
		// requireSelected.
		return out
	}
	d.o.requireValid(t, raw, route+" answer "+strconv.Itoa(status), keys...)
	d.record(route, status)
	return out
}

// requireSelected validates an item answered with $select: each property
// against the schema component's, and no other.
func (d *driver) requireSelected(item map[string]any, component string) {
	t := d.t
	t.Helper()
	for k, v := range item {
		_, known := d.o.at("components", "schemas", component, "properties", k).(map[string]any)
		require.True(t, known, "%s answered property %s, which %s does not document", component, k, component)
		raw, err := json.Marshal(v)
		require.NoError(t, err)
		d.o.requireValid(t, raw, component+"."+k, "components", "schemas", component, "properties", k)
	}
}

func testOpenAPIAnswers(t *testing.T, f *fixture) {
	d := &driver{t: t, o: fetchOpenAPI(t, f), succeeded: map[string]map[int]bool{}}
	admin := f.serve(t, f.allPermissions())
	boss := f.memberWithRole(t, f.a.ID, "boss@contoso.example", directory.RoleTenantAdministrator)
	me := f.serve(t, f.delegated(boss.ID))

	// Users.
	ada := d.do(admin, "POST /users", "/v1.0/users", map[string]any{"displayName": "Ada", "givenName": "Ada",
		"mail": "ada@contoso.example", "mailNickname": "ada", "accountEnabled": true,
		"passwordProfile": map[string]any{"password": "correct horse battery", "forceChangePasswordNextSignIn": true}}, http.StatusCreated)
	adaID := ada["id"].(string)
	guest := f.guest(t, f.a.ID, "gus@fabrikam.example", store.ExternalStatePending)
	d.do(admin, "GET /users", "/v1.0/users", nil, http.StatusOK)
	d.do(admin, "GET /users/{id}", "/v1.0/users/"+guest.ID, nil, http.StatusOK)
	d.do(admin, "PATCH /users/{id}", "/v1.0/users/"+adaID, map[string]any{"surname": "Lovelace"}, http.StatusNoContent)
	// A password is reset by a signed-in administrator (an app is 403).
	bossAdmin := f.serve(t, f.delegated(boss.ID, "User.ReadWrite.All"))
	d.do(bossAdmin, "PATCH /users/{id}", "/v1.0/users/"+adaID, map[string]any{"userPrincipalName": "ada.lovelace@contoso.example",
		"passwordProfile": map[string]any{"password": "a new long password", "forceChangePasswordNextSignIn": true}}, http.StatusNoContent)
	require.NoError(t, f.store.AppendSignIn(t.Context(), store.SignIn{ID: secret.NewID(), TenantID: f.a.ID, CreatedAt: f.now,
		UserID: adaID, UserDisplayName: "Ada", UserPrincipalName: "ada@contoso.example", UserType: store.UserTypeMember,
		AppID: "crm", AppDisplayName: "CRM", IPAddress: "203.0.113.7", CorrelationID: secret.NewID(),
		AuthenticationRequirement: store.SingleFactor, AuthenticationMethods: []string{"Password"}}))
	require.NoError(t, f.store.AppendSignIn(t.Context(), store.SignIn{ID: secret.NewID(), TenantID: f.a.ID,
		CreatedAt: f.now.Add(time.Minute), UserID: guest.ID, UserType: store.UserTypeGuest, HomeTenantID: f.b.ID,
		IPAddress: "203.0.113.8", CorrelationID: secret.NewID(), AuthenticationRequirement: store.SingleFactor,
		ErrorCode: 50126, FailureReason: "Invalid username or password."}))
	selected := d.do(admin, "GET /users/{id}", "/v1.0/users/"+adaID+"?$select=id,signInActivity,passwordProfile", nil, http.StatusOK)
	delete(selected, "@odata.context")
	require.NotNil(t, selected["signInActivity"].(map[string]any)["lastSignInDateTime"])
	require.Equal(t, map[string]any{"forceChangePasswordNextSignIn": true, "password": nil}, selected["passwordProfile"])
	d.requireSelected(selected, "user")

	// Groups.
	g := d.do(admin, "POST /groups", "/v1.0/groups", map[string]any{"displayName": "Staff", "ownersCanInviteGuests": true}, http.StatusCreated)
	gPath := "/v1.0/groups/" + g["id"].(string)
	d.do(admin, "GET /groups", "/v1.0/groups", nil, http.StatusOK)
	d.do(admin, "GET /groups/{id}", gPath, nil, http.StatusOK)
	d.do(admin, "PATCH /groups/{id}", gPath, map[string]any{"description": "Everyone"}, http.StatusNoContent)
	ref := map[string]any{"@odata.id": "https://foyer.example/v1.0/directoryObjects/" + adaID}
	d.do(admin, "POST /groups/{id}/members/$ref", gPath+"/members/$ref", ref, http.StatusNoContent)
	d.do(admin, "POST /groups/{id}/members/$ref", gPath+"/members/$ref",
		map[string]any{"@odata.id": "https://foyer.example/v1.0/directoryObjects/" + boss.ID}, http.StatusNoContent)
	members := d.do(admin, "GET /groups/{id}/members", gPath+"/members", nil, http.StatusOK)
	require.Len(t, members["value"], 2)
	for _, owner := range []string{boss.ID, adaID} {
		d.do(admin, "POST /groups/{id}/owners/$ref", gPath+"/owners/$ref",
			map[string]any{"@odata.id": "https://foyer.example/v1.0/users/" + owner}, http.StatusNoContent)
	}
	owners := d.do(admin, "GET /groups/{id}/owners", gPath+"/owners", nil, http.StatusOK)
	require.Len(t, owners["value"], 2)
	d.do(admin, "GET /groups/{id}/owners/$ref", gPath+"/owners/$ref", nil, http.StatusOK)

	// Applications.
	app := d.do(admin, "POST /applications", "/v1.0/applications", map[string]any{"displayName": "CRM",
		"web":        map[string]any{"redirectUris": []string{"https://crm.contoso.example/cb"}, "homePageUrl": "https://crm.contoso.example"},
		"grantTypes": []string{"authorization_code", "refresh_token"}, "apiPermissions": []string{"User.ReadWrite.All"}}, http.StatusCreated)
	appPath := "/v1.0/applications/" + app["id"].(string)
	d.do(admin, "POST /applications", "/v1.0/applications", map[string]any{"displayName": "CLI", "clientType": "native",
		"publicClient": map[string]any{"redirectUris": []string{"http://127.0.0.1/callback"}}}, http.StatusCreated)
	secretAnswer := d.do(admin, "POST /applications/{id}/addPassword", appPath+"/addPassword",
		map[string]any{"passwordCredential": map[string]any{"displayName": "ci"}}, http.StatusOK)
	d.do(admin, "POST /applications/{id}/addPassword", appPath+"/addPassword", map[string]any{}, http.StatusOK)
	// The application answers its secrets without their text: the
	// schema is closed, so a secretText there would fail.
	d.do(admin, "GET /applications", "/v1.0/applications", nil, http.StatusOK)
	d.do(admin, "GET /applications/{id}", appPath, nil, http.StatusOK)
	d.do(admin, "PATCH /applications/{id}", appPath, map[string]any{"requiresMfa": true, "web": map[string]any{"homePageUrl": nil}}, http.StatusNoContent)
	d.do(admin, "POST /applications/{id}/owners/$ref", appPath+"/owners/$ref",
		map[string]any{"@odata.id": "https://foyer.example/v1.0/users/" + boss.ID}, http.StatusNoContent)
	d.do(admin, "GET /applications/{id}/owners", appPath+"/owners", nil, http.StatusOK)
	d.do(admin, "GET /applications/{id}/owners/$ref", appPath+"/owners/$ref", nil, http.StatusOK)
	d.do(admin, "POST /applications/{id}/appRoleAssignedTo", appPath+"/appRoleAssignedTo",
		map[string]any{"principalId": g["id"], "resourceId": app["id"]}, http.StatusCreated)
	d.do(admin, "POST /applications/{id}/appRoleAssignedTo", appPath+"/appRoleAssignedTo",
		map[string]any{"principalId": adaID}, http.StatusCreated)
	d.do(admin, "GET /applications/{id}/appRoleAssignedTo", appPath+"/appRoleAssignedTo", nil, http.StatusOK)

	// Invitations (to the app's redirect URI).
	inv := d.do(admin, "POST /invitations", "/v1.0/invitations", map[string]any{"invitedUserEmailAddress": "vi@fabrikam.example",
		"inviteRedirectUrl": "https://crm.contoso.example/cb", "invitedUserDisplayName": "Vi", "sendInvitationMessage": false,
		"invitedUserMessageInfo": map[string]any{"customizedMessageBody": "Welcome",
			"ccRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": "boss@contoso.example"}}}},
		"groupIds": []string{g["id"].(string)}, "expiresIn": "P7D"}, http.StatusCreated)
	d.do(admin, "GET /invitations", "/v1.0/invitations", nil, http.StatusOK)
	resent := d.do(admin, "POST /invitations/{id}/resend", "/v1.0/invitations/"+inv["id"].(string)+"/resend", map[string]any{}, http.StatusOK)
	require.NotEqual(t, inv["inviteRedeemUrl"], resent["inviteRedeemUrl"])

	// Policies and MFA.
	d.do(admin, "GET /policies/authorizationPolicy", "/v1.0/policies/authorizationPolicy", nil, http.StatusOK)
	d.do(admin, "PATCH /policies/authorizationPolicy", "/v1.0/policies/authorizationPolicy", map[string]any{
		"invitationDomainRule": "allow", "invitationDomains": []string{"fabrikam.example"}, "redeemWithAnyAccount": false}, http.StatusNoContent)
	d.do(admin, "GET /policies/mfaPolicy", "/v1.0/policies/mfaPolicy", nil, http.StatusOK)
	d.do(admin, "PATCH /policies/mfaPolicy", "/v1.0/policies/mfaPolicy", map[string]any{"required": "everyone"}, http.StatusNoContent)
	f.registerTOTP(t, f.a.ID, adaID)
	f.lock(t, f.a.ID, adaID)
	d.do(admin, "GET /reports/authenticationMethods/userRegistrationDetails", "/v1.0/reports/authenticationMethods/userRegistrationDetails", nil, http.StatusOK)
	d.do(admin, "GET /reports/authenticationMethods/userRegistrationDetails/{id}",
		"/v1.0/reports/authenticationMethods/userRegistrationDetails/"+adaID, nil, http.StatusOK)
	methods := d.do(admin, "GET /users/{id}/authentication/methods", "/v1.0/users/"+adaID+"/authentication/methods", nil, http.StatusOK)
	require.Len(t, methods["value"], 1)
	d.do(admin, "POST /users/{id}/authentication/unlock", "/v1.0/users/"+adaID+"/authentication/unlock", nil, http.StatusNoContent)

	// Identity providers, organization, domains.
	idp := d.do(admin, "POST /identity/identityProviders", idpPath, oidcBody(), http.StatusCreated)
	idpAt := idpPath + "/" + idp["id"].(string)
	d.do(admin, "GET /identity/identityProviders", idpPath, nil, http.StatusOK)
	d.do(admin, "GET /identity/identityProviders/{id}", idpAt, nil, http.StatusOK)
	d.do(admin, "PATCH /identity/identityProviders/{id}", idpAt, map[string]any{"claimsMapping": nil, "enabled": false}, http.StatusNoContent)
	d.do(admin, "POST /domains", "/v1.0/domains", map[string]any{"id": "contoso.example"}, http.StatusCreated)
	d.do(admin, "GET /domains", "/v1.0/domains", nil, http.StatusOK)
	d.do(admin, "GET /domains/{id}", "/v1.0/domains/contoso.example", nil, http.StatusOK)
	orgPath := "/v1.0/organization/" + f.a.ID
	d.do(admin, "GET /organization", "/v1.0/organization", nil, http.StatusOK)
	d.do(admin, "GET /organization/{id}", orgPath, nil, http.StatusOK)
	d.do(admin, "PATCH /organization/{id}/branding", orgPath+"/branding",
		map[string]any{"accentColor": "#0a5fff", "senderName": "Contoso"}, http.StatusNoContent)
	d.do(admin, "GET /organization/{id}/branding", orgPath+"/branding", nil, http.StatusOK)

	// Directory roles: an app acting as itself may give and take the
	// Guest Inviter role.
	roles := "/v1.0/roleManagement/directory/"
	defs := d.do(admin, "GET /roleManagement/directory/roleDefinitions", roles+"roleDefinitions", nil, http.StatusOK)
	require.Len(t, defs["value"], 3)
	d.do(admin, "GET /roleManagement/directory/roleDefinitions/{id}", roles+"roleDefinitions/"+inviterDef, nil, http.StatusOK)
	assigned := d.do(admin, "POST /roleManagement/directory/roleAssignments", roles+"roleAssignments",
		map[string]any{"principalId": adaID, "roleDefinitionId": inviterDef, "directoryScopeId": "/"}, http.StatusCreated)
	assignmentPath := roles + "roleAssignments/" + assigned["id"].(string)
	assignments := d.do(admin, "GET /roleManagement/directory/roleAssignments", roles+"roleAssignments", nil, http.StatusOK)
	require.Len(t, assignments["value"], 2, "boss's and Ada's")
	d.do(admin, "GET /roleManagement/directory/roleAssignments/{id}", assignmentPath, nil, http.StatusOK)
	adaOf := d.do(admin, "GET /users/{id}/memberOf", "/v1.0/users/"+adaID+"/memberOf", nil, http.StatusOK)
	require.Len(t, adaOf["value"], 2, "the group and the directory role")

	// The signed-in user's own.
	d.do(me, "GET /me", "/v1.0/me", nil, http.StatusOK)
	memberOf := d.do(me, "GET /me/memberOf", "/v1.0/me/memberOf", nil, http.StatusOK)
	require.Len(t, memberOf["value"], 2, "the group and the directory role")
	owned := d.do(me, "GET /me/ownedObjects", "/v1.0/me/ownedObjects", nil, http.StatusOK)
	require.Len(t, owned["value"], 2, "the group and the application")

	// The logs, which every change above wrote to.
	audits := d.do(admin, "GET /auditLogs/directoryAudits", "/v1.0/auditLogs/directoryAudits", nil, http.StatusOK)
	require.NotEmpty(t, audits["value"])
	signIns := d.do(admin, "GET /auditLogs/signIns", "/v1.0/auditLogs/signIns", nil, http.StatusOK)
	require.Len(t, signIns["value"], 2)

	// Paging: a next link is documented too.
	page := d.do(admin, "GET /users", "/v1.0/users?$top=1", nil, http.StatusOK)
	require.NotEmpty(t, page["@odata.nextLink"])

	// Refusals are the documented error body.
	d.do(admin, "POST /groups", "/v1.0/groups", map[string]any{"displayName": strings.Repeat("x", 65<<10)}, http.StatusRequestEntityTooLarge)
	d.do(admin, "GET /users/{id}", "/v1.0/users/nobody", nil, http.StatusNotFound)
	d.do(admin, "GET /users", "/v1.0/users?$orderby=id", nil, http.StatusBadRequest)
	d.do(f.serve(t, nil), "GET /groups", "/v1.0/groups", nil, http.StatusUnauthorized)
	d.do(f.serve(t, f.app("Group.ReadWrite.All")), "GET /users", "/v1.0/users", nil, http.StatusForbidden)
	d.do(f.serve(t, f.app("Group.ReadWrite.All")), "GET /me", "/v1.0/me", nil, http.StatusBadRequest)

	// Removals last.
	d.do(admin, "POST /applications/{id}/removePassword", appPath+"/removePassword",
		map[string]any{"keyId": secretAnswer["keyId"]}, http.StatusNoContent)
	d.do(admin, "DELETE /applications/{id}/appRoleAssignedTo/{assignmentId}", appPath+"/appRoleAssignedTo/"+adaID, nil, http.StatusNoContent)
	d.do(admin, "DELETE /applications/{id}/owners/{userId}/$ref", appPath+"/owners/"+boss.ID+"/$ref", nil, http.StatusNoContent)
	d.do(admin, "DELETE /groups/{id}/members/{userId}/$ref", gPath+"/members/"+adaID+"/$ref", nil, http.StatusNoContent)
	d.do(admin, "DELETE /groups/{id}/owners/{userId}/$ref", gPath+"/owners/"+adaID+"/$ref", nil, http.StatusNoContent)
	d.do(admin, "DELETE /roleManagement/directory/roleAssignments/{id}", assignmentPath, nil, http.StatusNoContent)
	d.do(admin, "DELETE /users/{id}/authentication/softwareOathMethods/{methodId}",
		"/v1.0/users/"+adaID+"/authentication/softwareOathMethods/"+adaID, nil, http.StatusNoContent)
	d.do(admin, "DELETE /invitations/{id}", "/v1.0/invitations/"+inv["id"].(string), nil, http.StatusNoContent)
	d.do(admin, "DELETE /identity/identityProviders/{id}", idpAt, nil, http.StatusNoContent)
	d.do(admin, "DELETE /domains/{id}", "/v1.0/domains/contoso.example", nil, http.StatusNoContent)
	d.do(admin, "DELETE /applications/{id}", appPath, nil, http.StatusNoContent)
	d.do(admin, "DELETE /groups/{id}", gPath, nil, http.StatusNoContent)
	d.do(admin, "DELETE /users/{id}", "/v1.0/users/"+adaID, nil, http.StatusNoContent)

	// Every route answered with success, so a route added without a call
	// here fails; and with each success status documented, no other.
	for _, r := range api.Routes() {
		name := r.Method + " " + r.Path
		if r.Public {
			continue // testOpenAPIServed
		}
		require.NotEmpty(t, d.succeeded[name], "no successful call of %s validated its answer: add one here", name)
		documented := map[int]bool{}
		for code := range d.o.operation(r.Method, r.Path)["responses"].(map[string]any) {
			if n, _ := strconv.Atoi(code); n < 300 {
				documented[n] = true
			}
		}
		require.Equal(t, documented, d.succeeded[name], "%s: the success statuses documented and answered", name)
	}
}
