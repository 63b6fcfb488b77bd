package httpx

import (
	"encoding/json"
	"net/http"
)

// WriteJSON answers v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The status line is out; an encoding error can only be logged by the
	// access log's byte count, not answered.
	_ = json.NewEncoder(w).Encode(v)
}

// ErrorBody is the error shape of Foyer's protocol endpoints, as OAuth 2.0
// (RFC 6749 §5.2) shapes errors.
type ErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// WriteError answers a JSON error that is never cached. description is for
// the client: never put a driver message or an internal error in it.
func WriteError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, status, ErrorBody{Error: code, Description: description})
}
