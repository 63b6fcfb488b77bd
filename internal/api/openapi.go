package api

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"time"
)

// openAPIDocument is the OpenAPI 3.1 description of this API, served at
// GET /v1.0/openapi.json. It is a JSON file rather than built from Go
// declarations because it is mostly prose and schemas that read best as
// the document itself: a reviewer sees in a diff exactly what clients
// will see, and any OpenAPI tool opens the file. openapi_test.go keeps it
// true: every route in Handler is a documented path and method with the
// permissions it checks and the query options it takes, and the JSON the
// handlers answer validates against the documented schemas, which are
// closed, so a property added to an answer fails the test until it is
// documented.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPIETag tags the document, so clients revalidate cheaply.
func openAPIETag(doc []byte) string {
	sum := sha256.Sum256(doc)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// getOpenAPI answers the document. It needs no token: like Graph's
// $metadata it holds no secret, and tools fetch it before they have one.
func (a *API) getOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("ETag", a.openAPIETag)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Type", "application/json")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(openAPIDocument))
}
