package bootstrap

import (
	"slices"
	"strings"

	"github.com/foyer-idp/foyer/internal/directory"
	"github.com/foyer-idp/foyer/internal/store"
)

// The dev seed's well-known names. They are public: the seed is for a
// laptop, never for a server anyone else reaches.
const (
	DevPassword       = "foyer-dev"
	DevAdmin          = "admin@woodgrove.test"
	DevFabrikamMember = "sam@fabrikam.test"
	DevFabrikamDomain = "fabrikam.test"
	DevClientID       = "demo-app"
	DevClientSecret   = "demo-secret"
	DevNativeClientID = "demo-cli"
	// DemoClientID is the public client of the built-in demo relying
	// party at {externalURL}/demo.
	DemoClientID = "foyer-demo"
	// DevRedirectURI is demo-app's redirect URI, where an example client
	// on the developer's machine listens.
	DevRedirectURI = "http://127.0.0.1:5556/callback"
)

// DevFile answers the development seed for a server reached at
// externalURL: tenant woodgrove, which requires MFA of guests, with its
// administrator admin@woodgrove.test,
// a confidential app demo-app (secret demo-secret, every admin-API
// permission), a native app demo-cli and the demo relying party's public
// app foyer-demo; tenant fabrikam with sam@fabrikam.test and the verified
// domain fabrikam.test. Every password is foyer-dev. Apply it with
// Deps.MinSecretLength = DevMinSecretLength.
func DevFile(externalURL string) File {
	base := strings.TrimRight(externalURL, "/")
	native, public, guests, firstParty := store.ClientNative, store.ClientPublic, store.MFARequiredGuests, true
	demoHome := base + "/demo"
	return File{Tenants: []Tenant{
		{
			Slug: "woodgrove", DisplayName: "WoodGrove",
			// Guests prove a second factor, so the walkthrough shows
			// enrolment; declared, not left to the default.
			MFAPolicy: &MFAPolicy{Required: &guests},
			Members: []Member{{
				Mail: DevAdmin, DisplayName: "WoodGrove Admin", Password: DevPassword,
				Roles: []string{directory.RoleTenantAdministrator},
			}},
			Applications: []Application{
				{
					ClientID: DevClientID, DisplayName: "Demo app", Secret: DevClientSecret,
					RedirectURIs: []string{DevRedirectURI},
					GrantTypes: []string{
						directory.GrantAuthorizationCode, directory.GrantRefreshToken, directory.GrantClientCredentials,
					},
					APIPermissions: slices.Clone(directory.APIPermissions),
				},
				{
					// Any port of the loopback redirect is the provider's
					// to accept (RFC 8252 §7.3).
					ClientID: DevNativeClientID, DisplayName: "Demo CLI", ClientType: &native,
					RedirectURIs: []string{"http://127.0.0.1/callback"},
					// The device flow signs in where no browser runs.
					GrantTypes: []string{directory.GrantAuthorizationCode, directory.GrantRefreshToken, directory.GrantDeviceCode},
				},
				{
					ClientID: DemoClientID, DisplayName: "Foyer demo", ClientType: &public,
					RedirectURIs:           []string{base + "/demo/callback"},
					PostLogoutRedirectURIs: []string{base + "/demo"},
					// Invitations may send guests to the demo's pages.
					HomePageURL: &demoHome,
					// Foyer's own app asks no consent, so a guest who just
					// redeemed lands signed in (the demo signs in silently).
					FirstParty: &firstParty,
					GrantTypes: []string{directory.GrantAuthorizationCode, directory.GrantRefreshToken},
				},
			},
		},
		{
			Slug: "fabrikam", DisplayName: "Fabrikam",
			// Fabrikam owns its addresses: woodgrove's invitations to
			// sam@fabrikam.test redeem through fabrikam.
			Domains: []string{DevFabrikamDomain},
			Members: []Member{{Mail: DevFabrikamMember, DisplayName: "Sam", Password: DevPassword}},
		},
	}}
}
