package emulator

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestCreateTokenRules(t *testing.T) {
	tests := []struct {
		name         string
		givenBody    any
		expectCode   int
		expectLength int
		expectExpire time.Duration
	}{
		{"defaults to 6 chars and 15 minutes", nil, 201, 6, 900 * time.Second},
		{"empty object uses defaults", map[string]any{}, 201, 6, 900 * time.Second},
		{"length 4 accepted", map[string]any{"length": 4}, 201, 4, 900 * time.Second},
		{"length 128 accepted", map[string]any{"length": 128}, 201, 128, 900 * time.Second},
		{"odd length accepted", map[string]any{"length": 7}, 201, 7, 900 * time.Second},
		{"expire 60 accepted", map[string]any{"expire": 60}, 201, 6, 60 * time.Second},
		{"expire one year accepted", map[string]any{"expire": 31536000}, 201, 6, 31536000 * time.Second},
		{"length 3 rejected", map[string]any{"length": 3}, 400, 0, 0},
		{"length 129 rejected", map[string]any{"length": 129}, 400, 0, 0},
		{"length 1 and expire 1 rejected", map[string]any{"length": 1, "expire": 1}, 400, 0, 0},
		{"expire 59 rejected", map[string]any{"expire": 59}, 400, 0, 0},
		{"expire above one year rejected", map[string]any{"expire": 999999999999999}, 400, 0, 0},
		{"fractional length rejected", map[string]any{"length": 6.5}, 400, 0, 0},
		{"string length rejected", map[string]any{"length": "6"}, 400, 0, 0},
	}
	hexSecret := regexp.MustCompile(`^[0-9a-f]+$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			env.createUser("alice", "", "")

			r := env.withKey("POST", "/v1/users/alice/tokens", tt.givenBody)
			mustStatus(t, r, tt.expectCode)
			token := r.json(t)
			if tt.expectCode != 201 {
				if token["type"] != "general_argument_invalid" {
					t.Errorf("type = %v, want general_argument_invalid", token["type"])
				}
				return
			}

			secret, _ := token["secret"].(string)
			if len(secret) != tt.expectLength || !hexSecret.MatchString(secret) {
				t.Errorf("secret %q: want %d lowercase hex chars", secret, tt.expectLength)
			}
			wantExpire := env.clock.Now().Add(tt.expectExpire).Format(timeLayout)
			if token["expire"] != wantExpire {
				t.Errorf("expire = %v, want %s", token["expire"], wantExpire)
			}
			if token["userId"] != "alice" || token["phrase"] != "" {
				t.Errorf("userId = %v, phrase = %v", token["userId"], token["phrase"])
			}
		})
	}
}

func TestCreateTokenUnknownUser(t *testing.T) {
	env := newTestEnv(t)
	r := env.withKey("POST", "/v1/users/nobody/tokens", nil)
	mustStatus(t, r, http.StatusNotFound)
	if r.errorType(t) != "user_not_found" {
		t.Errorf("type = %s, want user_not_found", r.errorType(t))
	}
}

func TestTokenSecretStoredOnlyAsHash(t *testing.T) {
	env := newTestEnv(t)
	env.createUser("alice", "", "")
	secret := env.createToken("alice", map[string]any{"length": 64})

	env.server.mu.Lock()
	defer env.server.mu.Unlock()
	if len(env.server.store.tokens) != 1 {
		t.Fatalf("stored tokens = %d, want 1", len(env.server.store.tokens))
	}
	for _, tok := range env.server.store.tokens {
		if tok.SecretHash != hashSecret(secret) {
			t.Errorf("stored hash %s is not the SHA-256 of the secret", tok.SecretHash)
		}
		if strings.Contains(tok.SecretHash, secret) {
			t.Error("stored token contains the plain secret")
		}
	}
}

func TestTokenIssuedForBlockedUser(t *testing.T) {
	env := newTestEnv(t)
	env.createUser("alice", "", "")
	mustStatus(t, env.withKey("PATCH", "/v1/users/alice/status", map[string]any{"status": false}), 200)

	mustStatus(t, env.withKey("POST", "/v1/users/alice/tokens", nil), http.StatusCreated)
}
