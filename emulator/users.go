package emulator

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of the Users API, from Appwrite 1.5.11 and 1.9.6.
const (
	maxNameChars     = 128
	minPasswordChars = 8
	maxPasswordChars = 256
	maxLabels        = 1000
	maxPrefsChars    = 65535
)

// labelPattern is Appwrite's label rule: 1 to 36 letters and digits.
var labelPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,36}$`)

func userNotFound() *apiError {
	return newError(http.StatusNotFound, TypeUserNotFound, "No user with the requested ID exists.")
}

// pathUser returns the user named by the {userId} path parameter.
func (s *Server) pathUser(c *call) (*userRecord, error) {
	userID := c.r.PathValue("userId")
	if err := checkUID("userId", userID); err != nil {
		return nil, err
	}
	u := s.store.users[userID]
	if u == nil {
		return nil, userNotFound()
	}
	return u, nil
}

// handleCreateUser serves POST /v1/users.
func (s *Server) handleCreateUser(c *call) error {
	p, err := readBody(c.r)
	if err != nil {
		return err
	}
	fields, err := readNewUser(p)
	if err != nil {
		return err
	}

	now := s.now()
	if fields.userID == uniqueIDRequest {
		fields.userID = newID(now)
	}
	if s.store.users[fields.userID] != nil || s.store.userWithEmail(fields.email) != nil || s.store.userWithPhone(fields.phone) != nil {
		return newError(http.StatusConflict, TypeUserAlreadyExists, "A user with this ID, email or phone already exists in the project.")
	}

	s.store.nextSeq++
	u := &userRecord{
		ID:        fields.userID,
		Seq:       s.store.nextSeq,
		CreatedAt: now,
		UpdatedAt: now,
		Name:      fields.name,
		Email:     fields.email,
		Phone:     fields.phone,
		Status:    true,
		Labels:    []string{},
	}
	if fields.password != "" {
		u.PasswordHash = hashPassword(fields.password)
		u.PasswordUpdate = now
	}
	if u.Email != "" {
		u.Targets = append(u.Targets, targetRecord{ID: newID(now), CreatedAt: now, UpdatedAt: now, ProviderType: "email", Identifier: u.Email})
	}
	if u.Phone != "" {
		u.Targets = append(u.Targets, targetRecord{ID: newID(now), CreatedAt: now, UpdatedAt: now, ProviderType: "sms", Identifier: u.Phone})
	}
	s.store.users[u.ID] = u

	if err := s.save(); err != nil {
		return err
	}
	writeJSON(c.w, http.StatusCreated, userJSON(u, true))
	return nil
}

// newUserFields are the validated parameters of POST /v1/users.
type newUserFields struct {
	userID, email, phone, password, name string
}

func readNewUser(p bodyParams) (newUserFields, error) {
	var f newUserFields
	var err error

	if f.userID, err = p.requiredString("userId"); err != nil {
		return f, err
	}
	if err := checkCustomID("userId", f.userID); err != nil {
		return f, err
	}

	if f.email, _, err = p.stringValue("email"); err != nil {
		return f, err
	}
	if f.email != "" {
		if err := checkEmail("email", f.email); err != nil {
			return f, err
		}
		f.email = strings.ToLower(f.email)
	}

	if f.phone, _, err = p.stringValue("phone"); err != nil {
		return f, err
	}
	if f.phone != "" {
		if err := checkPhone("phone", f.phone); err != nil {
			return f, err
		}
	}

	if f.password, _, err = p.stringValue("password"); err != nil {
		return f, err
	}
	if n := utf8.RuneCountInString(f.password); f.password != "" && (n < minPasswordChars || n > maxPasswordChars) {
		return f, argumentError("password", "Password must be between "+strconv.Itoa(minPasswordChars)+" and "+strconv.Itoa(maxPasswordChars)+" characters long.")
	}

	if f.name, _, err = p.stringValue("name"); err != nil {
		return f, err
	}
	if err := checkMaxChars("name", f.name, maxNameChars); err != nil {
		return f, err
	}
	return f, nil
}

// handleGetUser serves GET /v1/users/{userId}.
func (s *Server) handleGetUser(c *call) error {
	u, err := s.pathUser(c)
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, userJSON(u, true))
	return nil
}

// handleDeleteUser serves DELETE /v1/users/{userId}.
func (s *Server) handleDeleteUser(c *call) error {
	u, err := s.pathUser(c)
	if err != nil {
		return err
	}
	s.store.deleteUser(u.ID)
	if err := s.save(); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleUpdateName serves PATCH /v1/users/{userId}/name.
func (s *Server) handleUpdateName(c *call) error {
	return s.updateUser(c, func(u *userRecord, p bodyParams) error {
		name, err := p.requiredString("name")
		if err != nil {
			return err
		}
		if err := checkMaxChars("name", name, maxNameChars); err != nil {
			return err
		}
		u.Name = name
		return nil
	})
}

// handleUpdateEmail serves PATCH /v1/users/{userId}/email. An empty e-mail
// removes it. Like Appwrite, any existing e-mail target with the new
// address, the user's own current address included, is a 409
// user_target_already_exists, so re-sending an unchanged e-mail conflicts.
func (s *Server) handleUpdateEmail(c *call) error {
	return s.updateUser(c, func(u *userRecord, p bodyParams) error {
		email, err := p.requiredString("email")
		if err != nil {
			return err
		}
		if email != "" {
			if err := checkEmail("email", email); err != nil {
				return err
			}
		}
		email = strings.ToLower(email)

		if email != "" && s.store.targetExists(email) {
			return newError(http.StatusConflict, TypeUserTargetExists, "A messaging target with this email already exists.")
		}
		if other := s.store.userWithEmail(email); other != nil {
			return newError(http.StatusConflict, TypeUserEmailExists, "Another user already has this email.")
		}

		u.Email = email
		u.EmailVerification = false
		s.setEmailTarget(u)
		return nil
	})
}

// setEmailTarget makes the user's e-mail target follow its e-mail.
func (s *Server) setEmailTarget(u *userRecord) {
	now := s.now()
	i := slices.IndexFunc(u.Targets, func(t targetRecord) bool { return t.ProviderType == "email" })
	switch {
	case u.Email == "" && i >= 0:
		u.Targets = slices.Delete(u.Targets, i, i+1)
	case u.Email != "" && i >= 0:
		u.Targets[i].Identifier = u.Email
		u.Targets[i].UpdatedAt = now
	case u.Email != "":
		u.Targets = append(u.Targets, targetRecord{ID: newID(now), CreatedAt: now, UpdatedAt: now, ProviderType: "email", Identifier: u.Email})
	}
}

// handleUpdateEmailVerification serves PATCH /v1/users/{userId}/verification.
func (s *Server) handleUpdateEmailVerification(c *call) error {
	return s.updateUser(c, func(u *userRecord, p bodyParams) error {
		verified, err := p.requiredBool("emailVerification")
		if err != nil {
			return err
		}
		u.EmailVerification = verified
		return nil
	})
}

// handleUpdateStatus serves PATCH /v1/users/{userId}/status. Blocking keeps
// the user's sessions, as Appwrite does; their next use fails with
// user_blocked.
func (s *Server) handleUpdateStatus(c *call) error {
	return s.updateUser(c, func(u *userRecord, p bodyParams) error {
		status, err := p.requiredBool("status")
		if err != nil {
			return err
		}
		u.Status = status
		return nil
	})
}

// handleUpdateLabels serves PUT /v1/users/{userId}/labels, which replaces
// the whole set. Duplicates are dropped, keeping the first.
func (s *Server) handleUpdateLabels(c *call) error {
	return s.updateUser(c, func(u *userRecord, p bodyParams) error {
		labels, err := p.requiredStrings("labels")
		if err != nil {
			return err
		}
		if len(labels) > maxLabels {
			return argumentError("labels", "Value must be an array of at most "+strconv.Itoa(maxLabels)+" labels.")
		}
		unique := make([]string, 0, len(labels))
		for _, label := range labels {
			if !labelPattern.MatchString(label) {
				return argumentError("labels", "Each label must be 1 to 36 chars of a-z, A-Z and 0-9.")
			}
			if !slices.Contains(unique, label) {
				unique = append(unique, label)
			}
		}
		u.Labels = unique
		return nil
	})
}

// handleGetPrefs serves GET /v1/users/{userId}/prefs.
func (s *Server) handleGetPrefs(c *call) error {
	u, err := s.pathUser(c)
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, prefsJSON(u.Prefs))
	return nil
}

// handleUpdatePrefs serves PATCH /v1/users/{userId}/prefs, which replaces
// the whole object and returns the Preferences model, not the user.
func (s *Server) handleUpdatePrefs(c *call) error {
	u, err := s.pathUser(c)
	if err != nil {
		return err
	}
	p, err := readBody(c.r)
	if err != nil {
		return err
	}
	prefs, err := p.requiredObject("prefs", maxPrefsChars)
	if err != nil {
		return err
	}

	u.Prefs = prefs
	u.UpdatedAt = s.now()
	if err := s.save(); err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, prefsJSON(u.Prefs))
	return nil
}

// updateUser runs one PATCH/PUT on the path's user and sends the User model.
// change validates its parameters before touching the user.
func (s *Server) updateUser(c *call, change func(*userRecord, bodyParams) error) error {
	u, err := s.pathUser(c)
	if err != nil {
		return err
	}
	p, err := readBody(c.r)
	if err != nil {
		return err
	}
	if err := change(u, p); err != nil {
		return err
	}

	u.UpdatedAt = s.now()
	if err := s.save(); err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, userJSON(u, true))
	return nil
}
