package api

import (
	"net/http"
	"strings"
)

// Route is a route Handler registers, as the OpenAPI test sees it: its
// method, its path under /v1.0, and the permissions it accepts.
type Route struct {
	Method, Path string
	Grants       []string
	// Public routes need no token; a route with neither grants nor Public
	// takes any signed-in user's token.
	Public bool
}

// Routes answers the routes Handler registers, read from the same
// registration (mount), so no route escapes the comparison.
func Routes() []Route {
	var out []Route
	for _, m := range (&API{}).mount(http.NewServeMux()) {
		method, path, _ := strings.Cut(m.pattern, " ")
		out = append(out, Route{Method: method, Path: strings.TrimPrefix(path, "/v1.0"), Grants: m.grants, Public: m.public})
	}
	return out
}
