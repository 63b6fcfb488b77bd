package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/foyer-idp/foyer/internal/store"
)

// The audit and sign-in logs, in Graph's DirectoryAudit and SignIn
// shapes. Both are read newest first and paged by (time, id) with the
// API's signed skip token, so a page costs one indexed range read however
// long the log is.

var directoryAuditResource = resource{
	name:       "microsoft.graph.DirectoryAudit",
	collection: "auditLogs/directoryAudits",
	fields: []string{"id", "category", "correlationId", "result", "resultReason", "activityDisplayName",
		"activityDateTime", "loggedByService", "operationType", "initiatedBy", "targetResources", "additionalDetails"},
	filterable: []string{"activityDisplayName", "activityDateTime", "category", "result", "initiatedBy/user/id",
		"initiatedBy/app/appId", "targetResources"},
	filter: logFilterParser("microsoft.graph.DirectoryAudit", map[string]filterKind{
		"activityDisplayName": filterText, "activityDateTime": filterTime, "category": filterText,
		"result": filterText, "initiatedBy/user/id": filterText, "initiatedBy/app/appId": filterText,
		anyIDKey: filterAnyID,
	}),
}

var signInResource = resource{
	name:       "microsoft.graph.SignIn",
	collection: "auditLogs/signIns",
	fields: []string{"id", "createdDateTime", "userDisplayName", "userPrincipalName", "userId", "userType",
		"appId", "appDisplayName", "ipAddress", "clientAppUsed", "correlationId", "isInteractive",
		"authenticationRequirement", "authenticationMethodsUsed", "crossTenantAccessType", "homeTenantId", "status"},
	filterable: []string{"userId", "appId", "createdDateTime", "status/errorCode", "userType"},
	filter: logFilterParser("microsoft.graph.SignIn", map[string]filterKind{
		"userId": filterText, "appId": filterText, "createdDateTime": filterTime,
		"status/errorCode": filterNumber, "userType": filterText,
	}),
}

// DirectoryAudit is Graph's directoryAudit, as the API answers it and
// the CLI reads it.
type DirectoryAudit struct {
	ID                  string           `json:"id"`
	Category            string           `json:"category"`
	CorrelationID       string           `json:"correlationId"`
	Result              string           `json:"result"`
	ResultReason        string           `json:"resultReason"`
	ActivityDisplayName string           `json:"activityDisplayName"`
	ActivityDateTime    time.Time        `json:"activityDateTime"`
	LoggedByService     string           `json:"loggedByService"`
	OperationType       string           `json:"operationType"`
	InitiatedBy         AuditActor       `json:"initiatedBy"`
	TargetResources     []TargetResource `json:"targetResources"`
	AdditionalDetails   []KeyValue       `json:"additionalDetails"`
}

// AuditActor is Graph's auditActivityInitiator: a user or an app, the
// other null.
type AuditActor struct {
	User *UserIdentity `json:"user"`
	App  *AppIdentity  `json:"app"`
}

type UserIdentity struct {
	ID                *string `json:"id"`
	DisplayName       *string `json:"displayName"`
	UserPrincipalName *string `json:"userPrincipalName"`
	IPAddress         string  `json:"ipAddress"`
}

type AppIdentity struct {
	AppID       *string `json:"appId"`
	DisplayName *string `json:"displayName"`
}

type TargetResource struct {
	ID                 *string            `json:"id"`
	DisplayName        *string            `json:"displayName"`
	Type               string             `json:"type"`
	UserPrincipalName  *string            `json:"userPrincipalName"`
	ModifiedProperties []ModifiedProperty `json:"modifiedProperties"`
}

type ModifiedProperty struct {
	DisplayName string `json:"displayName"`
	OldValue    string `json:"oldValue"`
	NewValue    string `json:"newValue"`
}

// Keys of a DirectoryAudit's additionalDetails.
const (
	DetailUserAgent = "User-Agent"
	DetailIPAddress = "IP address"
)

// KeyValue is Graph's keyValue.
type KeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// SignIn is Graph's signIn, as the API answers it and the CLI reads it.
type SignIn struct {
	ID                        string       `json:"id"`
	CreatedDateTime           time.Time    `json:"createdDateTime"`
	UserDisplayName           *string      `json:"userDisplayName"`
	UserPrincipalName         *string      `json:"userPrincipalName"`
	UserID                    *string      `json:"userId"`
	UserType                  *string      `json:"userType"`
	AppID                     *string      `json:"appId"`
	AppDisplayName            *string      `json:"appDisplayName"`
	IPAddress                 string       `json:"ipAddress"`
	ClientAppUsed             string       `json:"clientAppUsed"`
	CorrelationID             string       `json:"correlationId"`
	IsInteractive             bool         `json:"isInteractive"`
	AuthenticationRequirement string       `json:"authenticationRequirement"`
	AuthenticationMethodsUsed []string     `json:"authenticationMethodsUsed"`
	CrossTenantAccessType     string       `json:"crossTenantAccessType"`
	HomeTenantID              *string      `json:"homeTenantId"`
	Status                    SignInStatus `json:"status"`
}

type SignInStatus struct {
	ErrorCode     int     `json:"errorCode"`
	FailureReason *string `json:"failureReason"`
}

// orNull is s, or null when empty.
func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// loggedBy names the service that logs an activity, as Entra's
// loggedByService does: invitations are "Invited Users", the rest the
// directory's.
func loggedBy(e store.AuditEvent) string {
	switch {
	case strings.Contains(e.Activity, "external user"):
		return "Invited Users"
	case e.Category == "KeyManagement":
		return "Foyer Keys"
	}
	return "Core Directory"
}

// operationType is Graph's operationType, from the activity's verb.
func operationType(activity string) string {
	verb, _, _ := strings.Cut(activity, " ")
	switch verb {
	case "Add", "Create", "Invite":
		return "Add"
	case "Delete", "Remove", "Revoke":
		return "Delete"
	case "Update", "Set", "Change", "Reset", "Rotate", "Redeem":
		return "Update"
	}
	switch {
	case strings.Contains(activity, " registered "):
		return "Add"
	case strings.Contains(activity, " deleted "):
		return "Delete"
	}
	return "Other"
}

// DirectoryAuditOf is e as Graph shows it. Graph has no place for the
// address of an app or system actor: it goes to additionalDetails.
func DirectoryAuditOf(e store.AuditEvent) DirectoryAudit {
	out := DirectoryAudit{
		ID: e.ID, Category: e.Category, CorrelationID: e.CorrelationID, Result: e.Result, ResultReason: e.Reason,
		ActivityDisplayName: e.Activity, ActivityDateTime: e.Time, LoggedByService: loggedBy(e),
		OperationType: operationType(e.Activity), TargetResources: []TargetResource{}, AdditionalDetails: []KeyValue{},
	}
	switch e.ActorType {
	case store.ActorUser:
		u := &UserIdentity{ID: orNull(e.ActorID), IPAddress: e.ClientIP}
		if strings.Contains(e.ActorName, "@") {
			u.UserPrincipalName = orNull(e.ActorName)
		} else {
			u.DisplayName = orNull(e.ActorName)
		}
		out.InitiatedBy.User = u
	default:
		// An app, or Foyer itself (the operator's CLI, key rotation):
		// Graph names the system as an app without an id.
		app := &AppIdentity{DisplayName: orNull(e.ActorName)}
		if e.ActorType == store.ActorApp {
			app.AppID = orNull(e.ActorID)
		}
		out.InitiatedBy.App = app
	}
	if e.TargetType != "" || e.TargetID != "" {
		tr := TargetResource{ID: orNull(e.TargetID), DisplayName: orNull(e.TargetName), Type: e.TargetType,
			ModifiedProperties: []ModifiedProperty{}}
		if e.TargetType == "User" && strings.Contains(e.TargetName, "@") {
			tr.UserPrincipalName = orNull(e.TargetName)
		}
		for _, m := range e.ModifiedProperties {
			tr.ModifiedProperties = append(tr.ModifiedProperties, ModifiedProperty{DisplayName: m.Name, OldValue: m.OldValue, NewValue: m.NewValue})
		}
		out.TargetResources = append(out.TargetResources, tr)
	}
	if e.ActorType != store.ActorUser && e.ClientIP != "" {
		out.AdditionalDetails = append(out.AdditionalDetails, KeyValue{Key: DetailIPAddress, Value: e.ClientIP})
	}
	if e.UserAgent != "" {
		out.AdditionalDetails = append(out.AdditionalDetails, KeyValue{Key: DetailUserAgent, Value: e.UserAgent})
	}
	return out
}

// SignInOf is s as Graph shows it.
func SignInOf(s store.SignIn) SignIn {
	out := SignIn{
		ID: s.ID, CreatedDateTime: s.CreatedAt, UserDisplayName: orNull(s.UserDisplayName),
		UserPrincipalName: orNull(s.UserPrincipalName), UserID: orNull(s.UserID), AppID: orNull(s.AppID),
		AppDisplayName: orNull(s.AppDisplayName), IPAddress: s.IPAddress, ClientAppUsed: "Browser",
		CorrelationID: s.CorrelationID, IsInteractive: true, AuthenticationRequirement: s.AuthenticationRequirement,
		AuthenticationMethodsUsed: s.AuthenticationMethods, CrossTenantAccessType: "none",
		HomeTenantID: orNull(s.HomeTenantID), Status: SignInStatus{ErrorCode: s.ErrorCode, FailureReason: orNull(s.FailureReason)},
	}
	if out.AuthenticationMethodsUsed == nil {
		out.AuthenticationMethodsUsed = []string{}
	}
	switch s.UserType {
	case store.UserTypeGuest:
		out.UserType, out.CrossTenantAccessType = orNull("guest"), "b2bCollaboration"
	case store.UserTypeMember:
		out.UserType = orNull("member")
	}
	return out
}

// logCursor reads the query's skip token as a log position.
func logCursor(q query) (store.LogCursor, error) {
	if q.skipAfter == "" {
		return store.LogCursor{}, nil
	}
	micros, id, ok := strings.Cut(q.skipAfter, " ")
	n, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || id == "" {
		// Signed by us, so only a token of another list gets here.
		return store.LogCursor{}, badRequest("The $skiptoken is invalid or expired.")
	}
	return store.LogCursor{At: time.UnixMicro(n).UTC(), ID: id}, nil
}

// cursorID is a log row's position as a skip token carries it.
func cursorID(at time.Time, id string) string {
	return strconv.FormatInt(at.UnixMicro(), 10) + " " + id
}

func (a *API) listDirectoryAudits(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, directoryAuditResource, true)
	if err != nil {
		return err
	}
	before, err := logCursor(q)
	if err != nil {
		return err
	}
	f := store.AuditFilter{TenantID: p.TenantID, Activity: q.filter["activityDisplayName"],
		Category: q.filter["category"], TargetID: q.filter[anyIDKey], Before: before, Limit: q.top + 1}
	if v, ok := q.filter["result"]; ok {
		f.Result = canonical(v, store.ResultSuccess, store.ResultFailure)
	}
	f.Since, f.Until = filterTimes(q.filter, "activityDateTime")
	userID, byUser := q.filter["initiatedBy/user/id"]
	appID, byApp := q.filter["initiatedBy/app/appId"]
	switch {
	case byUser && byApp:
		return unsupported("An event is initiated by a user or an app, not both: filter on one.")
	case byUser:
		f.ActorType, f.ActorID = store.ActorUser, userID
	case byApp:
		f.ActorType, f.ActorID = store.ActorApp, appID
	}
	events, err := a.store.ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	more := len(events) > q.top
	if more {
		events = events[:q.top]
	}
	items := make([]DirectoryAudit, len(events))
	for i, e := range events {
		items[i] = DirectoryAuditOf(e)
	}
	return writeItems(a, w, r, q, p, directoryAuditResource, items, more,
		func(d DirectoryAudit) string { return cursorID(d.ActivityDateTime, d.ID) })
}

func (a *API) listSignIns(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := a.parseQuery(r, p, signInResource, true)
	if err != nil {
		return err
	}
	before, err := logCursor(q)
	if err != nil {
		return err
	}
	f := store.SignInFilter{TenantID: p.TenantID, UserID: q.filter["userId"], AppID: q.filter["appId"],
		Before: before, Limit: q.top + 1}
	f.Since, f.Until = filterTimes(q.filter, "createdDateTime")
	if v, ok := q.filter["userType"]; ok {
		f.UserType = canonical(v, store.UserTypeMember, store.UserTypeGuest)
	}
	if v, ok := q.filter["status/errorCode"]; ok {
		code, _ := strconv.Atoi(v) // checked by the parser
		f.ErrorCode = &code
	}
	rows, err := a.store.ListSignIns(r.Context(), f)
	if err != nil {
		return err
	}
	more := len(rows) > q.top
	if more {
		rows = rows[:q.top]
	}
	items := make([]SignIn, len(rows))
	for i, s := range rows {
		items[i] = SignInOf(s)
	}
	return writeItems(a, w, r, q, p, signInResource, items, more,
		func(s SignIn) string { return cursorID(s.CreatedDateTime, s.ID) })
}
