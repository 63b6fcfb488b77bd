package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/httpx"
	"github.com/foyer-idp/foyer/internal/store"
)

// Graph's error codes.
const (
	codeBadRequest       = "Request_BadRequest"
	codeNotFound         = "Request_ResourceNotFound"
	codeDenied           = "Authorization_RequestDenied"
	codeInvalidToken     = "InvalidAuthenticationToken"
	codeUnsupportedQuery = "Request_UnsupportedQuery"
	codeConflict         = "ObjectConflict"
	codeTooLarge         = "Request_EntityTooLarge"
	codeUnavailable      = "Service_Unavailable"
	codeInternal         = "Service_InternalServerError"
)

const msgDenied = "Insufficient privileges to complete the operation."

// errorBody is Graph's error shape.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code       string     `json:"code"`
	Message    string     `json:"message"`
	InnerError innerError `json:"innerError"`
}

type innerError struct {
	RequestID string `json:"request-id"`
	Date      string `json:"date"`
}

// apiError is an answer the handler decided on; writeErr renders it.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func badRequest(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, codeBadRequest, fmt.Sprintf(format, args...)}
}

func unsupported(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, codeUnsupportedQuery, fmt.Sprintf(format, args...)}
}

func notFound(id string) *apiError {
	return &apiError{http.StatusNotFound, codeNotFound,
		fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)}
}

// writeError answers err as Graph does. Only messages Foyer wrote reach
// the client; anything else is logged and answered without detail.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := a.classify(r, err)
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer`)
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, e.status, errorBody{Error: errorDetail{Code: e.code, Message: e.message,
		InnerError: innerError{RequestID: requestID(r), Date: a.now().UTC().Format(time.RFC3339)}}})
}

func (a *API) classify(r *http.Request, err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var de *directory.DeniedError
	if errors.As(err, &de) {
		return &apiError{http.StatusForbidden, codeDenied, de.Reason}
	}
	if errors.Is(err, directory.ErrLastTenantAdministrator) {
		var fe *directory.FieldError
		if errors.As(err, &fe) {
			return badRequest("%s.", fe.Message)
		}
	}
	var invalid, conflicts []string
	missing := false
	for _, e := range flatten(err) {
		var fe *directory.FieldError
		if !errors.As(e, &fe) {
			continue
		}
		switch {
		case errors.Is(fe, store.ErrConflict):
			conflicts = append(conflicts, fe.Field)
		case errors.Is(fe, store.ErrNotFound):
			missing = true
		default:
			invalid = append(invalid, fmt.Sprintf("Invalid value specified for property '%s': %s.", fe.Field, fe.Message))
		}
	}
	switch {
	case len(invalid) > 0:
		return badRequest("%s", strings.Join(invalid, " "))
	case len(conflicts) > 0:
		return &apiError{http.StatusBadRequest, codeConflict, fmt.Sprintf(
			"Another object with the same value for property %s already exists.", strings.Join(conflicts, ", "))}
	case missing || errors.Is(err, store.ErrNotFound):
		return &apiError{http.StatusNotFound, codeNotFound,
			"Resource does not exist or one of its queried reference-property objects are not present."}
	case errors.Is(err, store.ErrConflict):
		return &apiError{http.StatusBadRequest, codeConflict, "Another object with the same value already exists."}
	case errors.Is(err, store.ErrUnavailable):
		a.logger.ErrorContext(r.Context(), "admin api: storage unavailable", "err", err, "request_id", requestID(r))
		return &apiError{http.StatusServiceUnavailable, codeUnavailable, "The service is temporarily unavailable. Please retry later."}
	default:
		a.logger.ErrorContext(r.Context(), "admin api: internal error", "err", err, "request_id", requestID(r))
		return &apiError{http.StatusInternalServerError, codeInternal, "Encountered an internal server error."}
	}
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// requestID is the id httpx.RequestID gave the request; Handler makes
// sure there is one.
func requestID(r *http.Request) string { return httpx.RequestIDFrom(r.Context()) }
