package emulator

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestCreateUserDefaults(t *testing.T) {
	env := newTestEnv(t)
	r := env.withKey("POST", "/v1/users", map[string]any{"userId": "alice", "email": "Alice@Example.COM", "name": "Alice"})
	mustStatus(t, r, http.StatusCreated)
	user := r.json(t)

	checks := map[string]any{
		"$id":               "alice",
		"email":             "alice@example.com", // stored lower-cased
		"name":              "Alice",
		"status":            true,
		"emailVerification": false,
		"phoneVerification": false,
		"mfa":               false,
		"phone":             "",
		"passwordUpdate":    "",
		"registration":      "2024-05-01T12:00:00.000+00:00",
		"$createdAt":        "2024-05-01T12:00:00.000+00:00",
	}
	for field, want := range checks {
		if user[field] != want {
			t.Errorf("%s = %#v, want %#v", field, user[field], want)
		}
	}
	if labels, _ := user["labels"].([]any); labels == nil || len(labels) != 0 {
		t.Errorf("labels = %#v, want []", user["labels"])
	}
	if prefs, _ := user["prefs"].(map[string]any); prefs == nil || len(prefs) != 0 {
		t.Errorf("prefs = %#v, want {}", user["prefs"])
	}
	targets, _ := user["targets"].([]any)
	if len(targets) != 1 || targets[0].(map[string]any)["identifier"] != "alice@example.com" {
		t.Errorf("targets = %#v, want one e-mail target", user["targets"])
	}
}

func TestCreateUserGeneratesID(t *testing.T) {
	env := newTestEnv(t)
	id := env.createUser("unique()", "", "")
	if !regexp.MustCompile(`^[0-9a-f]{20}$`).MatchString(id) {
		t.Errorf("generated ID %q is not 20 lowercase hex characters", id)
	}
	other := env.createUser("unique()", "", "")
	if other == id {
		t.Errorf("two generated IDs are both %q", id)
	}
}

func TestCreateUserPassword(t *testing.T) {
	env := newTestEnv(t)
	r := env.withKey("POST", "/v1/users", map[string]any{"userId": "pw", "password": "correct horse"})
	mustStatus(t, r, http.StatusCreated)
	user := r.json(t)
	if user["passwordUpdate"] != "2024-05-01T12:00:00.000+00:00" {
		t.Errorf("passwordUpdate = %v, want the creation time", user["passwordUpdate"])
	}
	if user["hash"] != "argon2" {
		t.Errorf("hash = %v, want argon2", user["hash"])
	}
	if hash, _ := user["password"].(string); !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, "correct horse") {
		t.Errorf("password = %q, want an argon2id hash", hash)
	}
}

func TestCreateUserRules(t *testing.T) {
	tests := []struct {
		name       string
		givenBody  any
		expectCode int
		expectType string
		expectMsg  string // prefix of the message
	}{
		{"id of 36 chars accepted", map[string]any{"userId": strings.Repeat("a", 36)}, 201, "", ""},
		{"id with period hyphen underscore accepted", map[string]any{"userId": "a.b-c_d"}, 201, "", ""},
		{"id of 37 chars rejected", map[string]any{"userId": strings.Repeat("a", 37)}, 400, "general_argument_invalid", "Invalid `userId` param: "},
		{"id starting with hyphen rejected", map[string]any{"userId": "-abc"}, 400, "general_argument_invalid", "Invalid `userId` param: "},
		{"id starting with period rejected", map[string]any{"userId": ".abc"}, 400, "general_argument_invalid", "Invalid `userId` param: "},
		{"id starting with underscore rejected", map[string]any{"userId": "_abc"}, 400, "general_argument_invalid", "Invalid `userId` param: "},
		{"id with space rejected", map[string]any{"userId": "a b"}, 400, "general_argument_invalid", "Invalid `userId` param: "},
		{"id with e-mail characters rejected", map[string]any{"userId": "a@b.c"}, 400, "general_argument_invalid", "Invalid `userId` param: "},
		{"empty id rejected", map[string]any{"userId": ""}, 400, "general_argument_invalid", "Invalid `userId` param: "},
		{"missing id rejected", map[string]any{"email": "x@example.com"}, 400, "general_argument_invalid", "Param `userId`"},
		{"id of wrong type rejected", map[string]any{"userId": 12}, 400, "general_argument_invalid", "Invalid `userId` param: "},
		{"bad e-mail rejected", map[string]any{"userId": "u", "email": "not-an-email"}, 400, "general_argument_invalid", "Invalid `email` param: "},
		{"e-mail with display name rejected", map[string]any{"userId": "u", "email": "Bob <bob@example.com>"}, 400, "general_argument_invalid", "Invalid `email` param: "},
		{"bad phone rejected", map[string]any{"userId": "u", "phone": "0123"}, 400, "general_argument_invalid", "Invalid `phone` param: "},
		{"E.164 phone accepted", map[string]any{"userId": "u", "phone": "+14155550100"}, 201, "", ""},
		{"short password rejected", map[string]any{"userId": "u", "password": "1234567"}, 400, "general_argument_invalid", "Invalid `password` param: "},
		{"name of 128 chars accepted", map[string]any{"userId": "u", "name": strings.Repeat("é", 128)}, 201, "", ""},
		{"name of 129 chars rejected", map[string]any{"userId": "u", "name": strings.Repeat("n", 129)}, 400, "general_argument_invalid", "Invalid `name` param: "},
		{"body that is not an object rejected", "[1,2]", 400, "general_argument_invalid", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			r := env.withKey("POST", "/v1/users", tt.givenBody)
			mustStatus(t, r, tt.expectCode)
			if tt.expectType == "" {
				return
			}
			body := r.json(t)
			if body["type"] != tt.expectType {
				t.Errorf("type = %v, want %s", body["type"], tt.expectType)
			}
			if msg, _ := body["message"].(string); !strings.HasPrefix(msg, tt.expectMsg) {
				t.Errorf("message = %q, want prefix %q", msg, tt.expectMsg)
			}
		})
	}
}

func TestCreateUserConflicts(t *testing.T) {
	tests := []struct {
		name      string
		givenBody map[string]any
	}{
		{"same ID", map[string]any{"userId": "alice"}},
		{"same e-mail", map[string]any{"userId": "other", "email": "alice@example.com"}},
		{"same e-mail in other case", map[string]any{"userId": "other", "email": "ALICE@example.com"}},
		{"same phone", map[string]any{"userId": "other", "phone": "+14155550100"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			mustStatus(t, env.withKey("POST", "/v1/users", map[string]any{"userId": "alice", "email": "alice@example.com", "phone": "+14155550100"}), 201)

			r := env.withKey("POST", "/v1/users", tt.givenBody)
			mustStatus(t, r, http.StatusConflict)
			if got := r.errorType(t); got != "user_already_exists" {
				t.Errorf("type = %s, want user_already_exists", got)
			}
		})
	}
}

func TestGetUser(t *testing.T) {
	env := newTestEnv(t)
	env.createUser("alice", "alice@example.com", "Alice")

	tests := []struct {
		name       string
		givenPath  string
		expectCode int
		expectType string
	}{
		{"existing user", "/v1/users/alice", 200, ""},
		{"unknown user", "/v1/users/bob", 404, "user_not_found"},
		{"invalid ID", "/v1/users/-bad", 400, "general_argument_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.withKey("GET", tt.givenPath, nil)
			mustStatus(t, r, tt.expectCode)
			if tt.expectType != "" && r.errorType(t) != tt.expectType {
				t.Errorf("type = %s, want %s", r.errorType(t), tt.expectType)
			}
			if tt.expectType == "" && r.json(t)["email"] != "alice@example.com" {
				t.Errorf("email = %v", r.json(t)["email"])
			}
		})
	}
}

func TestDeleteUser(t *testing.T) {
	env := newTestEnv(t)
	env.createUser("alice", "", "")
	session := env.signIn("alice")

	mustStatus(t, env.withKey("DELETE", "/v1/users/alice", nil), http.StatusNoContent)
	mustStatus(t, env.withKey("GET", "/v1/users/alice", nil), http.StatusNotFound)
	mustStatus(t, env.request("GET", "/v1/account", nil, asSession(session)), http.StatusUnauthorized)
	mustStatus(t, env.withKey("DELETE", "/v1/users/alice", nil), http.StatusNotFound)
}

func TestUpdateUserFields(t *testing.T) {
	tests := []struct {
		name        string
		givenMethod string
		givenPath   string
		givenBody   any
		expectCode  int
		expectType  string
		expectField string // User model field to check on success
		expectValue any
		outsideSpec bool // the real server takes it although the spec does not
	}{
		{"name updated", "PATCH", "/name", map[string]any{"name": "Alicia"}, 200, "", "name", "Alicia", false},
		{"name may be empty", "PATCH", "/name", map[string]any{"name": ""}, 200, "", "name", "", false},
		{"name too long", "PATCH", "/name", map[string]any{"name": strings.Repeat("x", 129)}, 400, "general_argument_invalid", "", nil, false},
		{"name missing", "PATCH", "/name", map[string]any{}, 400, "general_argument_invalid", "", nil, false},
		{"verification set", "PATCH", "/verification", map[string]any{"emailVerification": true}, 200, "", "emailVerification", true, false},
		{"verification not boolean", "PATCH", "/verification", map[string]any{"emailVerification": "yes"}, 400, "general_argument_invalid", "", nil, false},
		{"status blocked", "PATCH", "/status", map[string]any{"status": false}, 200, "", "status", false, false},
		{"status takes loose string boolean", "PATCH", "/status", map[string]any{"status": "false"}, 200, "", "status", false, true},
		{"status takes 0", "PATCH", "/status", map[string]any{"status": 0}, 200, "", "status", false, true},
		{"status rejects other strings", "PATCH", "/status", map[string]any{"status": "maybe"}, 400, "general_argument_invalid", "", nil, false},
		{"labels missing", "PUT", "/labels", map[string]any{}, 400, "general_argument_invalid", "", nil, false},
		{"label with hyphen rejected", "PUT", "/labels", map[string]any{"labels": []string{"a-b"}}, 400, "general_argument_invalid", "", nil, false},
		{"empty label rejected", "PUT", "/labels", map[string]any{"labels": []string{""}}, 400, "general_argument_invalid", "", nil, false},
		{"label of 37 chars rejected", "PUT", "/labels", map[string]any{"labels": []string{strings.Repeat("a", 37)}}, 400, "general_argument_invalid", "", nil, false},
		{"more than 1000 labels rejected", "PUT", "/labels", map[string]any{"labels": manyLabels(1001)}, 400, "general_argument_invalid", "", nil, false},
		{"unknown user", "PATCH", "/name", map[string]any{"name": "x"}, 404, "user_not_found", "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			env.createUser("alice", "alice@example.com", "Alice")
			path := "/v1/users/alice" + tt.givenPath
			if tt.expectType == "user_not_found" {
				path = "/v1/users/nobody" + tt.givenPath
			}

			headers := map[string]string{"X-Appwrite-Key": testAPIKey}
			if tt.outsideSpec {
				headers[outsideSpecHeader] = "Appwrite's boolean validator also takes \"false\", 0 and 1"
			}
			r := env.request(tt.givenMethod, path, tt.givenBody, headers)
			mustStatus(t, r, tt.expectCode)
			if tt.expectType != "" {
				if got := r.errorType(t); got != tt.expectType {
					t.Errorf("type = %s, want %s", got, tt.expectType)
				}
				return
			}
			if got := r.json(t)[tt.expectField]; got != tt.expectValue {
				t.Errorf("%s = %#v, want %#v", tt.expectField, got, tt.expectValue)
			}
			stored := env.withKey("GET", "/v1/users/alice", nil).json(t)[tt.expectField]
			if stored != tt.expectValue {
				t.Errorf("stored %s = %#v, want %#v", tt.expectField, stored, tt.expectValue)
			}
		})
	}
}

func manyLabels(n int) []string {
	labels := make([]string, n)
	for i := range labels {
		labels[i] = "l" + strings.Repeat("x", i%30) + string(rune('a'+i%26))
	}
	return labels
}

func TestUpdateLabelsReplacesAndDeduplicates(t *testing.T) {
	env := newTestEnv(t)
	env.createUser("alice", "", "")
	mustStatus(t, env.withKey("PUT", "/v1/users/alice/labels", map[string]any{"labels": []string{"old"}}), 200)

	r := env.withKey("PUT", "/v1/users/alice/labels", map[string]any{"labels": []string{"admin", "Team7", "admin"}})
	mustStatus(t, r, 200)
	labels, _ := r.json(t)["labels"].([]any)
	if len(labels) != 2 || labels[0] != "admin" || labels[1] != "Team7" {
		t.Errorf("labels = %v, want [admin Team7]", labels)
	}
}

func TestUpdatePrefs(t *testing.T) {
	env := newTestEnv(t)
	env.createUser("alice", "", "")

	r := env.withKey("PATCH", "/v1/users/alice/prefs", map[string]any{"prefs": map[string]any{"theme": "dark", "n": 2}})
	mustStatus(t, r, 200)
	prefs := r.json(t)
	if prefs["theme"] != "dark" || prefs["n"] != float64(2) || len(prefs) != 2 {
		t.Errorf("response = %v, want the prefs object itself", prefs)
	}

	// The whole object is replaced.
	mustStatus(t, env.withKey("PATCH", "/v1/users/alice/prefs", map[string]any{"prefs": map[string]any{"lang": "de"}}), 200)
	got := env.withKey("GET", "/v1/users/alice/prefs", nil).json(t)
	if len(got) != 1 || got["lang"] != "de" {
		t.Errorf("prefs after replace = %v, want {lang: de}", got)
	}
	if user := env.withKey("GET", "/v1/users/alice", nil).json(t); user["prefs"].(map[string]any)["lang"] != "de" {
		t.Errorf("user prefs = %v", user["prefs"])
	}

	r = env.withKey("PATCH", "/v1/users/alice/prefs", map[string]any{"prefs": []int{1}})
	mustStatus(t, r, http.StatusBadRequest)
	if r.errorType(t) != "general_argument_invalid" {
		t.Errorf("type = %s", r.errorType(t))
	}
}

func TestUpdateEmail(t *testing.T) {
	tests := []struct {
		name        string
		givenEmail  string
		expectCode  int
		expectType  string
		expectEmail string
	}{
		{"new address accepted and lower-cased", "Alice.New@Example.com", 200, "", "alice.new@example.com"},
		{"unchanged address conflicts", "alice@example.com", 409, "user_target_already_exists", ""},
		{"unchanged address in other case conflicts", "ALICE@example.com", 409, "user_target_already_exists", ""},
		{"another user's address conflicts", "bob@example.com", 409, "user_target_already_exists", ""},
		{"invalid address rejected", "nope", 400, "general_argument_invalid", ""},
		{"empty address clears it", "", 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			env.createUser("alice", "alice@example.com", "")
			env.createUser("bob", "bob@example.com", "")
			mustStatus(t, env.withKey("PATCH", "/v1/users/alice/verification", map[string]any{"emailVerification": true}), 200)

			r := env.withKey("PATCH", "/v1/users/alice/email", map[string]any{"email": tt.givenEmail})
			mustStatus(t, r, tt.expectCode)
			if tt.expectType != "" {
				if got := r.errorType(t); got != tt.expectType {
					t.Errorf("type = %s, want %s", got, tt.expectType)
				}
				if got := env.withKey("GET", "/v1/users/alice", nil).json(t)["emailVerification"]; got != true {
					t.Errorf("emailVerification changed to %v by a failed update", got)
				}
				return
			}

			user := r.json(t)
			if user["email"] != tt.expectEmail {
				t.Errorf("email = %v, want %q", user["email"], tt.expectEmail)
			}
			if user["emailVerification"] != false {
				t.Errorf("emailVerification = %v, want false after an e-mail change", user["emailVerification"])
			}
			targets, _ := user["targets"].([]any)
			switch {
			case tt.expectEmail == "" && len(targets) != 0:
				t.Errorf("targets = %v, want none after clearing the e-mail", targets)
			case tt.expectEmail != "" && (len(targets) != 1 || targets[0].(map[string]any)["identifier"] != tt.expectEmail):
				t.Errorf("targets = %v, want one with %s", targets, tt.expectEmail)
			}
		})
	}
}

func TestUpdateEmailFreesOldAddress(t *testing.T) {
	env := newTestEnv(t)
	env.createUser("alice", "alice@example.com", "")
	env.createUser("bob", "", "")

	mustStatus(t, env.withKey("PATCH", "/v1/users/alice/email", map[string]any{"email": "alice2@example.com"}), 200)
	mustStatus(t, env.withKey("PATCH", "/v1/users/bob/email", map[string]any{"email": "alice@example.com"}), 200)
}
