package fedtest

import "sync"

// switches are what a test changes on a running fake: how it misbehaves
// and which callbacks it accepts. The fakes embed them; mu also guards
// the rest of each fake's state.
type switches struct {
	mu        sync.Mutex
	redirects []string
	misbehave map[Misbehaviour]bool
}

func newSwitches(redirects []string) switches {
	return switches{redirects: redirects, misbehave: map[Misbehaviour]bool{}}
}

// Misbehave replaces the fake's misbehaviours; none makes it behave.
func (s *switches) Misbehave(ms ...Misbehaviour) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.misbehave = map[Misbehaviour]bool{}
	for _, m := range ms {
		s.misbehave[m] = true
	}
}

// AllowRedirectURI registers one more callback, e.g. a Foyer server's
// started after the fake.
func (s *switches) AllowRedirectURI(uri string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.redirects = append(s.redirects, uri)
}
