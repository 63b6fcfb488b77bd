package httpx

import (
	"net/http"
	"strconv"
	"strings"
)

// valueJSON is the Content-Type of JSON answers, shared as the security
// headers' values are.
var valueJSON = []string{"application/json"}

// WriteCached answers body, a JSON document built once and served many
// times (a JWKS, a discovery document), with its strong entity tag etag
// (quoted) and cacheControl. A request whose If-None-Match names etag gets
// 304 Not Modified and no body (RFC 9110 §13.1.2).
func WriteCached(w http.ResponseWriter, r *http.Request, body []byte, etag, cacheControl string) {
	h := w.Header()
	h.Set("Cache-Control", cacheControl)
	h.Set("Etag", etag) // canonical form: Set need not make it
	if NoneMatch(r.Header.Values("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = valueJSON
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// NoneMatch reports whether If-None-Match header values match etag: "*",
// or a listed tag equal to it by the weak comparison the header uses (a
// W/ prefix on either side is ignored).
func NoneMatch(values []string, etag string) bool {
	etag = strings.TrimPrefix(etag, "W/")
	for _, v := range values {
		for v != "" {
			v = strings.TrimLeft(v, " \t,")
			if v == "" {
				break
			}
			if v[0] == '*' {
				return true
			}
			v = strings.TrimPrefix(v, "W/")
			if v == "" || v[0] != '"' {
				return false // malformed: no tag matches
			}
			end := strings.IndexByte(v[1:], '"')
			if end < 0 {
				return false
			}
			if v[:end+2] == etag {
				return true
			}
			v = v[end+2:]
		}
	}
	return false
}
