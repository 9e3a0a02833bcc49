package emulator

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"golang.org/x/crypto/argon2"
)

// Records are the stored state. Their JSON form is the data file's format, so
// a renamed tag breaks existing data files.

// userRecord is one Appwrite user.
type userRecord struct {
	ID                string          `json:"id"`
	Seq               int64           `json:"seq"` // creation order, the default list order
	CreatedAt         time.Time       `json:"createdAt"`
	UpdatedAt         time.Time       `json:"updatedAt"`
	Name              string          `json:"name"`
	Email             string          `json:"email"` // lower-cased, "" when unset
	Phone             string          `json:"phone"`
	PasswordHash      string          `json:"passwordHash,omitempty"` // PHC-encoded argon2id
	PasswordUpdate    time.Time       `json:"passwordUpdate"`
	Status            bool            `json:"status"` // false means blocked
	EmailVerification bool            `json:"emailVerification"`
	PhoneVerification bool            `json:"phoneVerification"`
	Labels            []string        `json:"labels"`
	Prefs             json.RawMessage `json:"prefs"` // compact JSON object
	Targets           []targetRecord  `json:"targets"`
	AccessedAt        time.Time       `json:"accessedAt"`
}

// targetRecord is a messaging target. Appwrite creates an e-mail target for
// each user e-mail, and the e-mail update conflict rules depend on it.
type targetRecord struct {
	ID           string    `json:"id"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
	ProviderType string    `json:"providerType"` // "email" or "sms"
	Identifier   string    `json:"identifier"`
}

// tokenRecord is a custom token. Only the SHA-256 of its secret is kept.
type tokenRecord struct {
	ID         string    `json:"id"`
	UserID     string    `json:"userId"`
	SecretHash string    `json:"secretHash"` // lowercase hex SHA-256 of the secret
	CreatedAt  time.Time `json:"createdAt"`
	Expire     time.Time `json:"expire"`
}

// sessionRecord is an account session. Only the SHA-256 of its secret is kept.
type sessionRecord struct {
	ID         string    `json:"id"`
	UserID     string    `json:"userId"`
	SecretHash string    `json:"secretHash"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
	Expire     time.Time `json:"expire"`
	Provider   string    `json:"provider"`
	Factors    []string  `json:"factors"`
	IP         string    `json:"ip"`
}

// sessionLength is how long a session lives: Appwrite's default project
// session length of one year.
const sessionLength = 365 * 24 * time.Hour

// timeLayout is Appwrite's datetime format (PHP "Y-m-d\TH:i:s.vP" in UTC).
const timeLayout = "2006-01-02T15:04:05.000+00:00"

// formatTime renders t as Appwrite does; the zero time is "", as Appwrite
// sends unset datetimes.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// newID returns a server-generated ID: 20 lowercase hex characters, like
// PHP's uniqid() (8 hex of seconds, 5 of microseconds) plus 7 random hex.
func newID(now time.Time) string {
	return fmt.Sprintf("%08x%05x", now.Unix(), now.Nanosecond()/1000) + randomHex(7)
}

// randomHex returns n random lowercase hex characters.
func randomHex(n int) string {
	buf := make([]byte, (n+1)/2)
	// crypto/rand.Read never returns an error and panics if the system
	// source fails.
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)[:n]
}

// hashSecret returns the lowercase hex SHA-256 of a token or session secret,
// the form Appwrite stores.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// secretMatches compares a presented secret with a stored hash in constant
// time.
func secretMatches(secret, storedHash string) bool {
	return subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(storedHash)) == 1
}

// Password hashing parameters: argon2id with OWASP's minimum settings, light
// enough for tests that create many users.
const (
	argonMemoryKiB = 19456
	argonTime      = 2
	argonThreads   = 1
	argonKeyLength = 32
)

// hashPassword returns a PHC-encoded argon2id hash of password.
func hashPassword(password string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLength)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// userJSON renders the User model. Key callers also see the password hash
// fields; the Account model (withHash false) leaves them out.
func userJSON(u *userRecord, withHash bool) map[string]any {
	labels := u.Labels
	if labels == nil {
		labels = []string{}
	}
	targets := make([]map[string]any, 0, len(u.Targets))
	for _, t := range u.Targets {
		targets = append(targets, map[string]any{
			"$id":          t.ID,
			"$createdAt":   formatTime(t.CreatedAt),
			"$updatedAt":   formatTime(t.UpdatedAt),
			"name":         "",
			"userId":       u.ID,
			"providerId":   "",
			"providerType": t.ProviderType,
			"identifier":   t.Identifier,
			"expired":      false,
		})
	}
	m := map[string]any{
		"$id":               u.ID,
		"$createdAt":        formatTime(u.CreatedAt),
		"$updatedAt":        formatTime(u.UpdatedAt),
		"name":              u.Name,
		"registration":      formatTime(u.CreatedAt),
		"status":            u.Status,
		"labels":            labels,
		"passwordUpdate":    formatTime(u.PasswordUpdate),
		"email":             u.Email,
		"phone":             u.Phone,
		"emailVerification": u.EmailVerification,
		"phoneVerification": u.PhoneVerification,
		"mfa":               false,
		"prefs":             prefsJSON(u.Prefs),
		"targets":           targets,
		"accessedAt":        formatTime(u.AccessedAt),
	}
	if withHash && u.PasswordHash != "" {
		m["password"] = u.PasswordHash
		m["hash"] = "argon2"
		m["hashOptions"] = map[string]any{
			"type":       "argon2",
			"memoryCost": argonMemoryKiB,
			"timeCost":   argonTime,
			"threads":    argonThreads,
		}
	}
	return m
}

// prefsJSON returns the stored preferences, or {} when none were set.
func prefsJSON(prefs json.RawMessage) json.RawMessage {
	if len(prefs) == 0 || string(prefs) == "null" {
		return json.RawMessage("{}")
	}
	return prefs
}

// tokenJSON renders the Token model with the plain secret. Only this
// response to the key caller that created the token contains it.
func tokenJSON(t *tokenRecord, secret string) map[string]any {
	return map[string]any{
		"$id":        t.ID,
		"$createdAt": formatTime(t.CreatedAt),
		"userId":     t.UserID,
		"secret":     secret,
		"expire":     formatTime(t.Expire),
		"phrase":     "",
	}
}

// sessionJSON renders the Session model. secret is "" for browser callers;
// key callers get the encoded session. Device and location fields are left
// empty because the emulator does not parse user agents or look up IPs.
func sessionJSON(sess *sessionRecord, current bool, secret string) map[string]any {
	factors := sess.Factors
	if factors == nil {
		factors = []string{}
	}
	return map[string]any{
		"$id":                       sess.ID,
		"$createdAt":                formatTime(sess.CreatedAt),
		"$updatedAt":                formatTime(sess.UpdatedAt),
		"userId":                    sess.UserID,
		"expire":                    formatTime(sess.Expire),
		"provider":                  sess.Provider,
		"providerUid":               "",
		"providerAccessToken":       "",
		"providerAccessTokenExpiry": "",
		"providerRefreshToken":      "",
		"ip":                        sess.IP,
		"osCode":                    "",
		"osName":                    "",
		"osVersion":                 "",
		"clientType":                "",
		"clientCode":                "",
		"clientName":                "",
		"clientVersion":             "",
		"clientEngine":              "",
		"clientEngineVersion":       "",
		"deviceName":                "",
		"deviceBrand":               "",
		"deviceModel":               "",
		"countryCode":               "--",
		"countryName":               "Unknown",
		"current":                   current,
		"factors":                   factors,
		"secret":                    secret,
		"mfaUpdatedAt":              "",
	}
}
