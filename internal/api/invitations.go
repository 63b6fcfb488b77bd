package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// Invitations, shaped like Graph's invitation resource. Foyer's
// extensions: groupIds, applicationIds and expiresIn on POST,
// expirationDateTime in answers, and GET (pending invitations) and DELETE
// (revoke) on the collection, which Graph does not have.
var invitationResource = resource{
	name:       "microsoft.graph.invitation",
	collection: "invitations",
	fields: []string{"id", "inviteRedeemUrl", "invitedUserDisplayName", "invitedUserType", "invitedUserEmailAddress",
		"invitedUserMessageInfo", "sendInvitationMessage", "inviteRedirectUrl", "resetRedemption", "status",
		"invitedUser", "expirationDateTime"},
	settable: []string{"invitedUserEmailAddress", "inviteRedirectUrl", "invitedUserDisplayName", "invitedUserType",
		"sendInvitationMessage", "invitedUserMessageInfo", "resetRedemption", "invitedUser",
		"groupIds", "applicationIds", "expiresIn"},
	filterable: []string{"status", "invitedUserEmailAddress"},
}

// inviteGuests: User.Invite.All as an application permission, or
// delegated to a user holding a role for invitations.
var inviteGuests = permission{area: areaInvitations, grants: []string{"User.Invite.All"}}

// sendInvitations is what POST /v1.0/invitations needs before the
// tenant's invitation policy is asked (directory.MayInvite):
// User.Invite.All as an application permission, or delegated for any
// signed-in user; the policy says whether their roles, their being a
// member or a guest, or their owning the groups invited into, suffice.
var sendInvitations = permission{area: areaInvitations, grants: []string{"User.Invite.All"}, anyUser: true}

// invitationView is what the API answers for an invitation. It never
// holds the token hash; inviteRedeemUrl is set only in the answer to the
// POST that made the token, as in Graph.
type invitationView struct {
	ID                      string          `json:"id"`
	InviteRedeemURL         *string         `json:"inviteRedeemUrl"`
	InvitedUserDisplayName  *string         `json:"invitedUserDisplayName"`
	InvitedUserType         string          `json:"invitedUserType"`
	InvitedUserEmailAddress string          `json:"invitedUserEmailAddress"`
	InvitedUserMessageInfo  messageInfo     `json:"invitedUserMessageInfo"`
	SendInvitationMessage   *bool           `json:"sendInvitationMessage"`
	InviteRedirectURL       string          `json:"inviteRedirectUrl"`
	ResetRedemption         bool            `json:"resetRedemption"`
	Status                  string          `json:"status"`
	InvitedUser             invitedUserView `json:"invitedUser"`
	ExpirationDateTime      time.Time       `json:"expirationDateTime"`
}

type invitedUserView struct {
	ID string `json:"id"`
}

// messageInfo is Graph's invitedUserMessageInfo.
type messageInfo struct {
	CustomizedMessageBody *string     `json:"customizedMessageBody"`
	MessageLanguage       *string     `json:"messageLanguage"`
	CcRecipients          []recipient `json:"ccRecipients"`
}

type recipient struct {
	EmailAddress emailAddress `json:"emailAddress"`
}

type emailAddress struct {
	Address string `json:"address"`
	Name    string `json:"name,omitempty"`
}

func viewOf(inv store.Invitation) invitationView {
	v := invitationView{
		ID: inv.ID, InvitedUserType: store.UserTypeGuest, InvitedUserEmailAddress: inv.Email,
		InviteRedirectURL: inv.RedirectURL, Status: inv.Status, InvitedUser: invitedUserView{ID: inv.InvitedUserID},
		ExpirationDateTime: inv.ExpiresAt, InvitedUserMessageInfo: messageInfo{CcRecipients: []recipient{}},
	}
	if inv.MessageLanguage != "" {
		v.InvitedUserMessageInfo.MessageLanguage = &inv.MessageLanguage
	}
	return v
}

// isoDuration is the subset of ISO 8601 durations expiresIn takes:
// days, hours and minutes (P7D, PT12H, P1DT6H30M).
var isoDuration = regexp.MustCompile(`^P(?:(\d{1,3})D)?(?:T(?:(\d{1,4})H)?(?:(\d{1,6})M)?)?$`)

func parseISODuration(s string) (time.Duration, bool) {
	m := isoDuration.FindStringSubmatch(s)
	if m == nil || s == "P" || s == "PT" || (m[1] == "" && m[2] == "" && m[3] == "") {
		return 0, false
	}
	var d time.Duration
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute} {
		if m[i+1] != "" {
			n, _ := strconv.Atoi(m[i+1])
			d += time.Duration(n) * unit
		}
	}
	return d, true
}

// invitationBody is the POST body, property by property.
type invitationBody struct {
	Email           *string      `json:"invitedUserEmailAddress"`
	RedirectURL     *string      `json:"inviteRedirectUrl"`
	DisplayName     *string      `json:"invitedUserDisplayName"`
	UserType        *string      `json:"invitedUserType"`
	SendMessage     *bool        `json:"sendInvitationMessage"`
	MessageInfo     *messageInfo `json:"invitedUserMessageInfo"`
	ResetRedemption *bool        `json:"resetRedemption"`
	InvitedUser     *struct {
		ID string `json:"id"`
	} `json:"invitedUser"`
	GroupIDs       []string `json:"groupIds"`
	ApplicationIDs []string `json:"applicationIds"`
	ExpiresIn      *string  `json:"expiresIn"`
}

func decodeInvitation(obj map[string]json.RawMessage) (directory.InviteInput, invitationBody, error) {
	var b invitationBody
	var errs []string
	wants := map[string]string{
		"invitedUserEmailAddress": "must be a string", "inviteRedirectUrl": "must be a string",
		"invitedUserDisplayName": "must be a string", "invitedUserType": "must be a string",
		"sendInvitationMessage": "must be true or false", "resetRedemption": "must be true or false",
		"invitedUserMessageInfo": "must be an object with customizedMessageBody, messageLanguage and ccRecipients",
		"invitedUser":            "must be an object with an id", "groupIds": "must be an array of ids",
		"applicationIds": "must be an array of ids", "expiresIn": "must be an ISO 8601 duration such as P7D",
	}
	dsts := map[string]any{
		"invitedUserEmailAddress": &b.Email, "inviteRedirectUrl": &b.RedirectURL, "invitedUserDisplayName": &b.DisplayName,
		"invitedUserType": &b.UserType, "sendInvitationMessage": &b.SendMessage, "resetRedemption": &b.ResetRedemption,
		"invitedUserMessageInfo": &b.MessageInfo, "invitedUser": &b.InvitedUser, "groupIds": &b.GroupIDs,
		"applicationIds": &b.ApplicationIDs, "expiresIn": &b.ExpiresIn,
	}
	for _, name := range invitationResource.settable {
		raw, ok := obj[name]
		if !ok {
			continue
		}
		errs = append(errs, strict(raw, dsts[name], invitationResource, name, wants[name])...)
	}
	in := directory.InviteInput{SendMessage: b.SendMessage != nil && *b.SendMessage}
	if b.Email == nil {
		errs = append(errs, "Invalid value specified for property 'invitedUserEmailAddress': is required.")
	} else {
		in.Email = *b.Email
	}
	if b.RedirectURL == nil {
		errs = append(errs, "Invalid value specified for property 'inviteRedirectUrl': is required.")
	} else {
		in.RedirectURL = *b.RedirectURL
	}
	if b.DisplayName != nil {
		in.DisplayName = *b.DisplayName
	}
	if b.UserType != nil {
		in.UserType = canonical(*b.UserType, store.UserTypeGuest, store.UserTypeMember)
	}
	if mi := b.MessageInfo; mi != nil {
		if mi.CustomizedMessageBody != nil {
			in.Message = *mi.CustomizedMessageBody
		}
		if mi.MessageLanguage != nil {
			in.Language = *mi.MessageLanguage
		}
		for _, r := range mi.CcRecipients {
			in.Cc = append(in.Cc, r.EmailAddress.Address)
		}
	}
	in.ResetRedemption = b.ResetRedemption != nil && *b.ResetRedemption
	if b.InvitedUser != nil {
		in.InvitedUserID = b.InvitedUser.ID
	}
	in.GroupIDs, in.ApplicationIDs = b.GroupIDs, b.ApplicationIDs
	if b.ExpiresIn != nil {
		d, ok := parseISODuration(*b.ExpiresIn)
		if !ok {
			errs = append(errs, "Invalid value specified for property 'expiresIn': "+wants["expiresIn"]+".")
		}
		in.ExpiresIn = d
	}
	if len(errs) > 0 {
		return directory.InviteInput{}, b, badRequest("%s", joinSorted(errs))
	}
	return in, b, nil
}

func (a *API) createInvitation(w http.ResponseWriter, r *http.Request, p Principal) error {
	obj, err := decodeBody(w, r, invitationResource)
	if err != nil {
		return err
	}
	in, b, err := decodeInvitation(obj)
	if err != nil {
		return err
	}
	inv, err := a.invite(r, p, in)
	if err != nil {
		return err
	}
	v := sentView(inv, in)
	if mi := b.MessageInfo; mi != nil {
		v.InvitedUserMessageInfo.CustomizedMessageBody = mi.CustomizedMessageBody
		if mi.CcRecipients != nil {
			v.InvitedUserMessageInfo.CcRecipients = mi.CcRecipients
		}
	}
	return a.writeEntity(w, http.StatusCreated, invitationResource, v, nil)
}

// sentView is the answer to an invitation just sent as in asked: the only
// one with its redeem link.
func sentView(inv directory.Invitation, in directory.InviteInput) invitationView {
	v := viewOf(inv.Invitation)
	v.InviteRedeemURL = &inv.RedeemURL
	v.InvitedUserDisplayName = &inv.User.DisplayName
	v.SendInvitationMessage = &in.SendMessage
	v.ResetRedemption = in.ResetRedemption
	return v
}

// resendInvitation answers POST /invitations/{id}/resend, a Foyer
// extension (Graph resends by inviting the address again, which Foyer
// also takes): the pending invitation is mailed again with a new redeem
// link, answered this once; the old link stops working. The caller must
// be one who may manage invitations and may invite this address now.
func (a *API) resendInvitation(w http.ResponseWriter, r *http.Request, p Principal) error {
	if err := noProperties(w, r, invitationResource); err != nil {
		return err
	}
	id := r.PathValue("id")
	in, err := a.dir.ResendInput(r.Context(), p.TenantID, id)
	if isNotFound(err) {
		return notFound(id)
	} else if err != nil {
		return err
	}
	inv, err := a.invite(r, p, in)
	if err != nil {
		return err
	}
	return a.writeEntity(w, http.StatusOK, invitationResource, sentView(inv, in), nil)
}

// invite sends in as p, when p may send it.
func (a *API) invite(r *http.Request, p Principal, in directory.InviteInput) (directory.Invitation, error) {
	if err := a.dir.MayInvite(r.Context(), p.TenantID, p.inviter(), in); err != nil {
		return directory.Invitation{}, err
	}
	inv, _, err := a.dir.Invite(r.Context(), p.TenantID, in)
	return inv, err
}

// listInvitations answers the tenant's invitations in the status $filter
// names (PendingAcceptance when it names none), optionally only those of
// one invitedUserEmailAddress.
func (a *API) listInvitations(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, invitationResource, true)
	if err != nil {
		return err
	}
	status := store.InvitationPending
	if v, ok := q.filter["status"]; ok {
		states := []string{store.InvitationPending, store.InvitationAccepted, store.InvitationRevoked}
		if status = canonical(v, states...); !slices.Contains(states, status) {
			return badRequest("Invalid filter clause: '%s' is not a valid value for property 'status': must be %s.",
				v, strings.Join(states, ", "))
		}
	}
	list, err := a.dir.Invitations(r.Context(), p.TenantID, status)
	if err != nil {
		return err
	}
	if email, ok := q.filter["invitedUserEmailAddress"]; ok {
		// Stored lower-cased.
		email = strings.ToLower(email)
		list = slices.DeleteFunc(list, func(inv store.Invitation) bool { return inv.Email != email })
	}
	list, more := page(list, func(inv store.Invitation) string { return inv.ID }, q)
	views := make([]invitationView, len(list))
	for i, inv := range list {
		views[i] = viewOf(inv)
	}
	return writeItems(a, w, r, q, p, invitationResource, views, more, func(v invitationView) string { return v.ID })
}

func (a *API) deleteInvitation(w http.ResponseWriter, r *http.Request, p Principal) error {
	id := r.PathValue("id")
	if err := a.dir.RevokeInvitation(r.Context(), p.TenantID, id); err != nil {
		if isNotFound(err) {
			return notFound(id)
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// noProperties refuses a body with any property, for an action that
// takes none: no body and {} are the same.
func noProperties(w http.ResponseWriter, r *http.Request, rs resource) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return badRequest("The request body could not be read.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rs.settable = nil
	_, err = decodeBody(w, r, rs)
	return err
}

// joinSorted joins messages in a stable order.
func joinSorted(msgs []string) string {
	slices.Sort(msgs)
	return strings.Join(msgs, " ")
}
