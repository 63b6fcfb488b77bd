package audit

// Categories, as Entra groups its directory audit events.
const (
	CategoryDirectory   = "DirectoryManagement"
	CategoryUser        = "UserManagement"
	CategoryGroup       = "GroupManagement"
	CategoryApplication = "ApplicationManagement"
	CategoryRole        = "RoleManagement"
	CategoryKey         = "KeyManagement"
	CategoryPolicy      = "Policy"
)

// Activities. Entra's display names where Entra has the activity.
const (
	ActivityCreateTenant = "Create company"
	ActivityUpdateTenant = "Set company information"
	ActivityDeleteTenant = "Delete company"

	ActivityAddUser        = "Add user"
	ActivityUpdateUser     = "Update user"
	ActivityDeleteUser     = "Delete user"
	ActivityResetPassword  = "Reset user password"
	ActivityChangePassword = "Change user password"

	ActivityAddGroup          = "Add group"
	ActivityUpdateGroup       = "Update group"
	ActivityDeleteGroup       = "Delete group"
	ActivityAddGroupMember    = "Add member to group"
	ActivityRemoveGroupMember = "Remove member from group"
	ActivityAddGroupOwner     = "Add owner to group"
	ActivityRemoveGroupOwner  = "Remove owner from group"

	ActivityAddApplication      = "Add application"
	ActivityUpdateApplication   = "Update application"
	ActivityDeleteApplication   = "Delete application"
	ActivityAddAppSecret        = "Update application – Certificates and secrets management"
	ActivityRemoveAppSecret     = "Remove application secret"
	ActivityAddAppOwner         = "Add owner to application"
	ActivityRemoveAppOwner      = "Remove owner from application"
	ActivityAddAppAssignment    = "Add app role assignment grant to user"
	ActivityRemoveAppAssignment = "Remove app role assignment from user"
	ActivityAddRoleMember       = "Add member to role"
	ActivityRemoveRoleMember    = "Remove member from role"
	ActivityRotateSigningKeys   = "Rotate signing keys"
	ActivityCreateSigningKeys   = "Create signing keys"
	ActivityUpdatePolicy        = "Update policy"
	ActivityInviteExternalUser  = "Invite external user"
	// ActivityInviteExternalUserReset re-invites a guest whose redemption
	// is reset (resetRedemption).
	ActivityInviteExternalUserReset = "Invite external user with reset invitation status"
	// ActivityRevokeExternalInvite is Foyer's: an invitation revoked while
	// its guest, who redeemed an earlier one, stays.
	ActivityRevokeExternalInvite = "Revoke external user invite"
	ActivityRedeemExternalInvite = "Redeem external user invite"
	ActivityDeleteExternalUser   = "Delete external user"
	// ActivityEmailUnsubscribed: a recipient blocked further invitations
	// from the tenant.
	ActivityEmailUnsubscribed = "Email unsubscribed"

	ActivityAddIdentityProvider    = "Add identity provider"
	ActivityUpdateIdentityProvider = "Update identity provider"
	ActivityDeleteIdentityProvider = "Delete identity provider"
	ActivityAddVerifiedDomain      = "Add verified domain"
	ActivityRemoveVerifiedDomain   = "Remove verified domain"

	// Security info (multi-factor authentication), Entra's names.
	ActivityRegisterSecurityInfo    = "User registered security info"
	ActivityAdminDeleteSecurityInfo = "Admin deleted security info"
	// ActivityRegenerateRecoveryCodes is Foyer's: Entra has no recovery
	// codes.
	ActivityRegenerateRecoveryCodes = "User regenerated recovery codes"
	// ActivityUnlockSecurityInfo is Foyer's: an admin cleared the lock
	// that failed second-factor attempts set.
	ActivityUnlockSecurityInfo = "Admin unlocked security info"
)

// Target types.
const (
	TargetTenant      = "Tenant"
	TargetUser        = "User"
	TargetGroup       = "Group"
	TargetApplication = "Application"
	TargetRole        = "Role"
	TargetKey         = "SigningKey"
	TargetPolicy      = "Policy"
	TargetDomain      = "Domain"
	TargetIdP         = "IdentityProvider"
)
