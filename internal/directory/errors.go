package directory

import (
	"errors"
	"fmt"
	"strings"

	"github.com/foyer-idp/foyer/internal/store"
)

// ErrInvalid is what every validation failure matches with errors.Is.
var ErrInvalid = errors.New("invalid input")

// ErrBadCredentials answers a failed password or client secret check. It
// never says whether the account exists.
var ErrBadCredentials = errors.New("invalid credentials")

// FieldError names the field a problem is with. Several problems are
// joined with errors.Join so a caller sees all of them at once.
type FieldError struct {
	Field   string
	Message string
	// Err is ErrInvalid for bad input, store.ErrConflict for a taken
	// unique value, store.ErrNotFound for a reference to nothing.
	Err error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }
func (e *FieldError) Unwrap() error { return e.Err }

func invalid(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...), Err: ErrInvalid}
}

// problems collects field errors; Err answers nil when there are none.
type problems []error

func (p *problems) add(e *FieldError) {
	if e != nil {
		*p = append(*p, e)
	}
}

func (p problems) Err() error { return errors.Join(p...) }

// conflictAs turns a store conflict into a field error naming what is taken.
func conflictAs(err error, field, value string) error {
	if errors.Is(err, store.ErrConflict) {
		return &FieldError{Field: field, Message: fmt.Sprintf("%q is already taken", value), Err: err}
	}
	return err
}

// notFoundAs turns a store not-found into a field error naming the
// reference that points at nothing.
func notFoundAs(err error, field, value string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &FieldError{Field: field, Message: fmt.Sprintf("%q does not exist", value), Err: err}
	}
	return err
}

// auditReason is the failure reason written to the audit log: our own
// validation messages, or a category; never a driver message.
func auditReason(err error) string {
	var msgs []string
	for _, e := range flatten(err) {
		var fe *FieldError
		var de *DeniedError
		switch {
		case errors.As(e, &fe):
			msgs = append(msgs, fe.Error())
		case errors.As(e, &de):
			msgs = append(msgs, de.Reason)
		}
	}
	switch {
	case len(msgs) > 0:
		return strings.Join(msgs, "; ")
	case errors.Is(err, store.ErrNotFound):
		return "not found"
	case errors.Is(err, store.ErrConflict):
		return "conflict"
	default:
		return "internal error"
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
