package httpx

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNoneMatch(t *testing.T) {
	t.Parallel()
	const tag = `"abc"`
	for _, tc := range []struct {
		values []string
		match  bool
	}{
		{nil, false},
		{[]string{`"abc"`}, true},
		{[]string{`W/"abc"`}, true},
		{[]string{`*`}, true},
		{[]string{`"x", "abc"`}, true},
		{[]string{`"x",W/"abc"`}, true},
		{[]string{`"x"`, `"abc"`}, true},
		{[]string{`"x"`}, false},
		{[]string{`"abcd"`}, false},
		{[]string{`abc`}, false},
		{[]string{`"ab`}, false},
		{[]string{`""`}, false},
		{[]string{`W/`}, false},
		{[]string{` , `}, false},
	} {
		assert.Equal(t, tc.match, NoneMatch(tc.values, tag), "%q", tc.values)
	}
	assert.True(t, NoneMatch([]string{`"abc"`}, `W/"abc"`), "weak comparison on both sides")
}

func TestWriteCached(t *testing.T) {
	t.Parallel()
	body := []byte(`{"keys":[]}` + "\n")
	serve := func(method string, ifNoneMatch ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/doc", nil)
		for _, v := range ifNoneMatch {
			r.Header.Add("If-None-Match", v)
		}
		w := httptest.NewRecorder()
		WriteCached(w, r, body, `"v1"`, "public, max-age=60")
		return w
	}
	w := serve(http.MethodGet)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, string(body), w.Body.String())
	assert.Equal(t, `"v1"`, w.Header().Get("ETag"))
	assert.Equal(t, "public, max-age=60", w.Header().Get("Cache-Control"))
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.Equal(t, "12", w.Header().Get("Content-Length"))

	w = serve(http.MethodGet, `"v1"`)
	require.Equal(t, http.StatusNotModified, w.Code)
	assert.Empty(t, w.Body.String())
	assert.Equal(t, `"v1"`, w.Header().Get("ETag"), "a 304 names the tag")
	assert.Equal(t, "public, max-age=60", w.Header().Get("Cache-Control"))

	w = serve(http.MethodGet, `"v0"`)
	require.Equal(t, http.StatusOK, w.Code, "another version is answered in full")
	assert.Equal(t, string(body), w.Body.String())

	w = serve(http.MethodHead)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Empty(t, w.Body.String())
}
