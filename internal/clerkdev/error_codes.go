package clerkdev

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The errors below are Clerk's, as its Backend API error index (clerk.com/docs,
// "Backend API errors") lists them: the same status, code, short message and, where
// Clerk's is fixed, the same long message. The generic ones (errNotFound,
// errParamMissing, errParamInvalid, errIdentifierExists, errMalformed) are in errors.go.

// minPasswordLength is the minimum password length of a Clerk instance by default.
const minPasswordLength = 8

// maxPasswordBytes is bcrypt's limit, which Clerk enforces as a size in bytes.
const maxPasswordBytes = 72

func newAPIError(status int, code, short, long string) *apiError {
	return &apiError{Status: status, Code: code, Message: short, LongMessage: long}
}

func withParam(e *apiError, param string) *apiError {
	e.Meta = map[string]any{"param_name": param}
	return e
}

func errUserNotFound(id string) *apiError {
	return newAPIError(http.StatusNotFound, "resource_not_found", "not found", "No user was found with id "+id)
}

func errOrgNotFound() *apiError {
	return newAPIError(http.StatusNotFound, "resource_not_found", "not found", "Given organization not found.")
}

func errSessionNotFound(id string) *apiError {
	return newAPIError(http.StatusNotFound, "resource_not_found", "Session not found", "No session was found with id "+id)
}

func errInvitationNotFound(id string) *apiError {
	return newAPIError(http.StatusNotFound, "resource_not_found", "not found", "No invitation was found with id "+id+".")
}

// errJWTTemplateNotFound names how the template was looked for: "name" or "id".
func errJWTTemplateNotFound(attribute, value string) *apiError {
	return newAPIError(http.StatusNotFound, "resource_not_found", "JWT template not found",
		"No JWT template exists with "+attribute+": "+value)
}

// errRoleNotFound answers a role parameter that names no role of the instance.
func errRoleNotFound() *apiError {
	return withParam(newAPIError(http.StatusNotFound, "resource_not_found", "not found", "Organization role not found"), "role")
}

// errCreatorNotFound answers an organization's created_by naming no user.
func errCreatorNotFound(id string) *apiError {
	return newAPIError(http.StatusBadRequest, "organization_creator_not_found", "creator not found",
		"No users found with id "+id+".")
}

// errAlreadyMember names the user (an email address or a user id) in its long message,
// which Clerk's own components parse.
func errAlreadyMember(who string) *apiError {
	return newAPIError(http.StatusBadRequest, "already_a_member_in_organization", "already a member",
		who+" is already a member of the organization.")
}

func errMembershipQuotaExceeded(limit int64) *apiError {
	return newAPIError(http.StatusForbidden, "organization_membership_quota_exceeded", "organization membership quota exceeded",
		"You have reached your limit of "+strconv.FormatInt(limit, 10)+" organization memberships, including outstanding invitations.")
}

// errDuplicateInvitations answers invitations to addresses that already have a pending
// one (application and organization invitations alike).
func errDuplicateInvitations(emails []string) *apiError {
	e := newAPIError(http.StatusBadRequest, "duplicate_record", "duplicate invitation",
		"There are already pending invitations for the following email addresses: "+strings.Join(emails, ", "))
	e.Meta = map[string]any{"email_addresses": emails}
	return e
}

func errOrgInvitationNotPending() *apiError {
	return newAPIError(http.StatusNotFound, "organization_invitation_not_pending", "not pending",
		"The organization invitation is not in the 'pending' status.")
}

func errInvitationAlreadyRevoked() *apiError {
	const msg = "Invitation is already revoked."
	return newAPIError(http.StatusBadRequest, "invitation_already_revoked", msg, msg)
}

func errInvitationAlreadyAccepted() *apiError {
	const msg = "Invitation is already accepted, try signing in instead."
	return newAPIError(http.StatusBadRequest, "invitation_already_accepted", msg, msg)
}

func errPasswordTooShort() *apiError {
	msg := "Passwords must be " + strconv.Itoa(minPasswordLength) + " characters or more."
	return withParam(newAPIError(http.StatusUnprocessableEntity, "form_password_length_too_short", msg, msg), "password")
}

func errPasswordTooLong() *apiError {
	const msg = "Your password is too long. Please use a shorter one."
	return withParam(newAPIError(http.StatusUnprocessableEntity, "form_password_size_in_bytes_exceeded", msg, msg), "password")
}

// errParamValueInvalid is form_param_value_invalid: a well-formed value that is not allowed.
func errParamValueInvalid(param, long string) *apiError {
	return withParam(newAPIError(http.StatusUnprocessableEntity, "form_param_value_invalid", "is invalid", long), param)
}

func errParamValueTooLarge(param string, max int64) *apiError {
	return withParam(newAPIError(http.StatusUnprocessableEntity, "form_param_value_too_large", "Value too large",
		"The value of "+param+" can't be greater than "+strconv.FormatInt(max, 10)), param)
}

func errParamUnknown(param string) *apiError {
	return withParam(newAPIError(http.StatusUnprocessableEntity, "form_param_unknown", "is unknown",
		param+" is not a valid parameter for this request."), param)
}

// errDataMissing answers a user without the identifiers the instance requires.
func errDataMissing(params ...string) *apiError {
	e := newAPIError(http.StatusUnprocessableEntity, "form_data_missing", "missing data",
		fmt.Sprintf("%q data doesn't match user requirements set for this instance", params))
	e.Meta = map[string]any{"param_names": params}
	return e
}

func errQueryParamMissing(param string) *apiError {
	return newAPIError(http.StatusBadRequest, "missing_query_parameter", "Missing query parameter",
		"The query parameter '"+param+"' is missing from the request. Please consult the API documentation for more information.")
}

func errBulkSizeExceeded(max int) *apiError {
	return newAPIError(http.StatusBadRequest, "bulk_size_exceeded", "bulk size exceeded",
		"Parameters exceed the maximum allowed bulk processing size of "+strconv.Itoa(max)+".")
}

// errInternal is Clerk's 500; detail goes to the long message, as the emulator has no logs
// a developer would read instead.
func errInternal(detail string) *apiError {
	return newAPIError(http.StatusInternalServerError, "internal_clerk_error", "Oops, an unexpected error occurred",
		"There was an internal error on our servers: "+detail)
}

// errClerkKeyInvalid answers a Backend API request whose bearer token is not the secret key.
func errClerkKeyInvalid() *apiError {
	const msg = "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct."
	return newAPIError(http.StatusUnauthorized, "clerk_key_invalid", msg, msg)
}

// errAuthHeaderInvalid answers a Backend API request without "Authorization: Bearer …".
func errAuthHeaderInvalid() *apiError {
	return newAPIError(http.StatusUnauthorized, "authorization_header_format_invalid", "Invalid Authorization header format",
		"Invalid Authorization header format. Must be 'Bearer <YOUR_API_KEY>'")
}

// errUnprocessable is a 422 with the emulator's own code, for refusals whose code
// Clerk does not document (see role_routes.go and permission_routes.go).
func errUnprocessable(code, long string) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Code: code, Message: long, LongMessage: long}
}

func errDomainNotFound() *apiError {
	return newAPIError(http.StatusNotFound, "resource_not_found", "not found", "Organization domain not found.")
}

// errDomainCommon refuses a public email provider's domain (gmail.com…), with the code
// and message of Clerk's components (organization_domain_common).
func errDomainCommon() *apiError {
	return withParam(newAPIError(http.StatusBadRequest, "organization_domain_common", "common email domain",
		"This is a common email provider domain. Please use a different domain."), "name")
}

// errDomainExists refuses a domain the organization has, or one another organization
// has verified. The code is the emulator's choice (duplicate_record, as for
// invitations): Clerk's is not documented.
func errDomainExists(sameOrg bool) *apiError {
	long := "This domain is already verified by another organization."
	if sameOrg {
		long = "This domain is already used by this organization."
	}
	return withParam(newAPIError(http.StatusBadRequest, "duplicate_record", "duplicate domain", long), "name")
}
