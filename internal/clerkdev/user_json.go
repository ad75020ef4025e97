package clerkdev

import "encoding/json"

// The user object and its email addresses, as the Backend API and the webhooks write them.

// verificationJSON is the verification of an email address the emulator created, as
// Clerk's Backend API writes one for strategy "admin" (Clerk's verification_admin object
// has no nonce or external_verification_redirect_url: those belong to the web3 and
// SAML/OAuth verifications, which the emulator has none of).
type verificationJSON struct {
	Status   string `json:"status"`
	Strategy string `json:"strategy"`
	Attempts *int64 `json:"attempts"`
	ExpireAt *int64 `json:"expire_at"`
}

type emailJSON struct {
	ID           string           `json:"id"`
	Object       string           `json:"object"`
	EmailAddress string           `json:"email_address"`
	Reserved     bool             `json:"reserved"`
	Verification verificationJSON `json:"verification"`
	LinkedTo     []any            `json:"linked_to"`
	// MatchesSSOConnection is whether the domain has an enterprise connection.
	MatchesSSOConnection bool  `json:"matches_sso_connection"`
	CreatedAt            int64 `json:"created_at"`
	UpdatedAt            int64 `json:"updated_at"`
}

// userJSON is Clerk's user object: the keys of the user.created webhook example and of
// the user object of Clerk's Backend API, except organization_memberships (only sent
// when a request asks for it) and scim (only for SCIM-provisioned users).
type userJSON struct {
	Object                        string          `json:"object"`
	ID                            string          `json:"id"`
	ExternalID                    *string         `json:"external_id"`
	PrimaryEmailAddressID         *string         `json:"primary_email_address_id"`
	PrimaryPhoneNumberID          *string         `json:"primary_phone_number_id"`
	PrimaryWeb3WalletID           *string         `json:"primary_web3_wallet_id"`
	Username                      *string         `json:"username"`
	FirstName                     *string         `json:"first_name"`
	LastName                      *string         `json:"last_name"`
	Locale                        *string         `json:"locale"`
	Timezone                      *string         `json:"timezone"` // in @clerk/backend's UserJSON; the emulator knows none
	ProfileImageURL               string          `json:"profile_image_url"`
	ImageURL                      string          `json:"image_url"`
	HasImage                      bool            `json:"has_image"`
	PublicMetadata                json.RawMessage `json:"public_metadata"`
	PrivateMetadata               json.RawMessage `json:"private_metadata"`
	UnsafeMetadata                json.RawMessage `json:"unsafe_metadata"`
	EmailAddresses                []emailJSON     `json:"email_addresses"`
	PhoneNumbers                  []any           `json:"phone_numbers"`
	Web3Wallets                   []any           `json:"web3_wallets"`
	Passkeys                      []any           `json:"passkeys"`
	PasswordEnabled               bool            `json:"password_enabled"`
	TwoFactorEnabled              bool            `json:"two_factor_enabled"`
	TOTPEnabled                   bool            `json:"totp_enabled"`
	BackupCodeEnabled             bool            `json:"backup_code_enabled"`
	MFAEnabledAt                  *int64          `json:"mfa_enabled_at"`
	MFADisabledAt                 *int64          `json:"mfa_disabled_at"`
	PasswordLastUpdatedAt         *int64          `json:"password_last_updated_at"`
	ExternalAccounts              []any           `json:"external_accounts"`
	SAMLAccounts                  []any           `json:"saml_accounts"`
	EnterpriseAccounts            []any           `json:"enterprise_accounts"`
	LastSignInAt                  *int64          `json:"last_sign_in_at"`
	Banned                        bool            `json:"banned"`
	Locked                        bool            `json:"locked"`
	Deprovisioned                 bool            `json:"deprovisioned"`
	LockoutExpiresInSeconds       *int64          `json:"lockout_expires_in_seconds"`
	VerificationAttemptsRemaining *int64          `json:"verification_attempts_remaining"`
	UpdatedAt                     int64           `json:"updated_at"`
	CreatedAt                     int64           `json:"created_at"`
	DeleteSelfEnabled             bool            `json:"delete_self_enabled"`
	CreateOrganizationEnabled     bool            `json:"create_organization_enabled"`
	CreateOrganizationsLimit      *int            `json:"create_organizations_limit"`
	LastActiveAt                  *int64          `json:"last_active_at"`
	LegalAcceptedAt               *int64          `json:"legal_accepted_at"`
	BypassClientTrust             bool            `json:"bypass_client_trust"`
}

func (s *Server) imageURLLocked(id string) string {
	return s.baseURL + "/__clerkdev/img/" + id + ".svg"
}

func (s *Server) userJSONLocked(u *user) userJSON {
	emails := make([]emailJSON, 0, len(u.Emails))
	for _, e := range u.Emails {
		emails = append(emails, emailJSON{
			ID: e.ID, Object: "email_address", EmailAddress: e.Address,
			Verification: verificationJSON{Status: "verified", Strategy: "admin"},
			LinkedTo:     []any{}, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
			MatchesSSOConnection: s.connectionForLocked(e.Address) != nil,
		})
	}
	var primary *string
	if len(u.Emails) > 0 {
		primary = strPtr(u.Emails[0].ID)
	}
	img := s.imageURLLocked(u.ID)
	return userJSON{
		Object: "user", ID: u.ID, ExternalID: u.ExternalID,
		PrimaryEmailAddressID: primary, Username: u.Username,
		FirstName: u.FirstName, LastName: u.LastName,
		ProfileImageURL: img, ImageURL: img,
		PublicMetadata:  metaOrEmpty(u.PublicMetadata),
		PrivateMetadata: metaOrEmpty(u.PrivateMetadata),
		UnsafeMetadata:  metaOrEmpty(u.UnsafeMetadata),
		EmailAddresses:  emails,
		PhoneNumbers:    []any{}, Web3Wallets: []any{}, Passkeys: []any{},
		PasswordEnabled:       len(u.PasswordHash) > 0,
		PasswordLastUpdatedAt: u.PasswordSetAt,
		ExternalAccounts:      []any{}, SAMLAccounts: []any{}, EnterpriseAccounts: s.enterpriseAccountsJSONLocked(u),
		LastSignInAt: u.LastSignInAt,
		UpdatedAt:    u.UpdatedAt, CreatedAt: u.CreatedAt,
		DeleteSelfEnabled: true, CreateOrganizationEnabled: true,
		LastActiveAt: u.LastActiveAt,
	}
}
