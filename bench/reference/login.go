package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"html/template"
	"net/http"
	"sync"

	"github.com/zitadel/oidc/v3/example/server/storage"
)

// sessionCookie names the reference's browser session.
const sessionCookie = "ref_session"

// login is the example's username page (the same form: the auth request
// id hidden, username and current-password fields) with one addition: a
// successful sign-in sets a session cookie, and a browser that brings one
// finishes the next auth request without the form.
type login struct {
	storage  *refStorage
	users    storage.UserStore
	callback func(context.Context, string) string
	sessions *sessions
}

var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>Login</title></head>
<body>
<form method="POST" action="/login/username">
<input type="hidden" name="id" value="{{.ID}}">
<label for="username">Username:</label> <input id="username" name="username" autocomplete="username">
<label for="password">Password:</label> <input id="password" name="password" type="password" autocomplete="current-password">
<p>{{.Error}}</p>
<button type="submit">Login</button>
</form>
</body></html>
`))

func (l *login) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		id := r.URL.Query().Get("authRequestID")
		if c, err := r.Cookie(sessionCookie); err == nil {
			if user := l.users.GetUserByUsername(l.sessions.user(c.Value)); user != nil {
				if l.storage.CheckUsernamePassword(user.Username, user.Password, id) == nil {
					http.Redirect(w, r, l.callback(r.Context(), id), http.StatusFound)
					return
				}
			}
		}
		l.render(w, id, "")
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			http.Error(w, "cannot parse the form", http.StatusBadRequest)
			return
		}
		id, username := r.PostFormValue("id"), r.PostFormValue("username")
		if err := l.storage.CheckUsernamePassword(username, r.PostFormValue("password"), id); err != nil {
			l.render(w, id, err.Error())
			return
		}
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: l.sessions.start(username), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, l.callback(r.Context(), id), http.StatusFound)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (l *login) render(w http.ResponseWriter, id, problem string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = loginPage.Execute(w, struct{ ID, Error string }{id, problem})
}

// sessions maps session ids to usernames, in memory like the rest of
// the reference.
type sessions struct {
	mu    sync.RWMutex
	users map[string]string
}

func newSessions() *sessions { return &sessions{users: map[string]string{}} }

func (s *sessions) start(username string) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	id := base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = username
	return id
}

func (s *sessions) user(id string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.users[id]
}
