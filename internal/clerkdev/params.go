package clerkdev

// Checks of request parameters that several Backend API routes share.

// roleParamLocked checks a required role parameter: Clerk takes only the key of a role
// of the instance ("org:admin", a custom role's key), not the short "admin" the seed file
// allows.
func (s *Server) roleParamLocked(role *string) (string, *apiError) {
	if role == nil || *role == "" {
		return "", errParamMissing("role")
	}
	if s.roleByKeyLocked(*role) == nil {
		return "", errRoleNotFound()
	}
	return *role, nil
}

// passwordParam checks a new password against the instance's rules (at least
// minPasswordLength characters, at most maxPasswordBytes bytes) and returns its hash.
func passwordParam(pw string) ([]byte, *apiError) {
	if len([]rune(pw)) < minPasswordLength {
		return nil, errPasswordTooShort()
	}
	if len(pw) > maxPasswordBytes {
		return nil, errPasswordTooLong()
	}
	h, err := hashPassword(pw)
	if err != nil {
		return nil, errInternal("hash the password: " + err.Error())
	}
	return h, nil
}
