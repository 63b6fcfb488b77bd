package httpx

import (
	"context"
	"errors"
	"net/http"
)

// StatusClientClosed is nginx's 499: the client closed the connection
// before the answer was complete. The access log and the metrics report
// it instead of the 5xx (or nothing) a handler answered to a request whose
// client had gone, so the clients that give up during an outage are not
// counted as server errors.
const StatusClientClosed = 499

// ClientGone reports whether the client of r hung up: net/http cancels a
// request's context when its connection closes. A deadline that passed
// is the server's doing, and not this.
func ClientGone(r *http.Request) bool {
	return errors.Is(r.Context().Err(), context.Canceled)
}

// reportedStatus is the status the access log and metrics give a request
// once its handler returned: 499 when the client left and the handler
// answered nothing or a server error, else what the handler answered.
func reportedStatus(sw *statusWriter, r *http.Request) int {
	if ClientGone(r) && (!sw.wroteHeader() || sw.Status() >= http.StatusInternalServerError) {
		return StatusClientClosed
	}
	return sw.Status()
}
