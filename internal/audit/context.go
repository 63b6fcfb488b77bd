package audit

import (
	"context"

	"github.com/foyer-idp/foyer/internal/store"
)

// Actor is who causes an event.
type Actor struct {
	Type string // store.ActorUser, ActorApp or ActorSystem
	ID   string
	Name string
}

// System is the actor for the CLI run by an operator and for background
// work such as automatic key rotation.
var System = Actor{Type: store.ActorSystem, Name: "foyer"}

// Request is where an event came from.
type Request struct {
	ClientIP      string
	UserAgent     string
	CorrelationID string
}

type actorKey struct{}
type requestKey struct{}

// WithActor answers ctx carrying the actor of the events recorded under it.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom answers the context's actor, or System when none is set.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return System
}

// WithRequest answers ctx carrying the request details of its events.
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFrom answers the context's request details, zero when none.
func RequestFrom(ctx context.Context) Request {
	r, _ := ctx.Value(requestKey{}).(Request)
	return r
}
