package bridge_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/tokenbridge/tokenbridge/accounts"
	"github.com/tokenbridge/tokenbridge/appwrite"
	"github.com/tokenbridge/tokenbridge/internal/testop"
)

func TestEmailVerifiedForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		given          any
		expectVerified bool
	}{
		{"bool true", true, true},
		{"bool false", false, false},
		{"string true", "true", true},
		{"string TRUE", "TRUE", true},
		{"string FALSE", "FALSE", false},
		{"string yes", "yes", false},
		{"string 1", "1", false},
		{"number 1", 1, false},
		{"object", map[string]any{"value": true}, false},
		{"missing", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, stackOptions{})
			s.op.SetDefaultIdentity(testop.Identity{Subject: "ev", Email: "ev@example.test", EmailVerified: tt.given})
			userID, _ := expectSuccess(t, s.login(t))
			user, err := s.appwrite.GetUser(context.Background(), userID)
			if err != nil {
				t.Fatal(err)
			}
			if user.EmailVerification != tt.expectVerified {
				t.Errorf("emailVerification = %v, want %v", user.EmailVerification, tt.expectVerified)
			}
		})
	}
}

func TestProfileProblemsNeverBlock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		given       testop.Identity
		expectEmail string
		expectName  string
	}{
		{"invalid email", testop.Identity{Subject: "p1", Email: "not an address", Name: "P One"}, "", "P One"},
		{"email with display name", testop.Identity{Subject: "p2", Email: "Eve <eve@example.test>"}, "", ""},
		{"email as a number", testop.Identity{Subject: "p3", Extra: map[string]any{"email": 42}}, "", ""},
		{"name of emoji beyond 128 code points", testop.Identity{Subject: "p4", Name: strings.Repeat("😀", 200)}, "", strings.Repeat("😀", 128)},
		{"given and family name only", testop.Identity{Subject: "p5", Extra: map[string]any{"given_name": "Ada", "family_name": "Lovelace"}}, "", "Ada Lovelace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, stackOptions{})
			s.op.SetDefaultIdentity(tt.given)
			userID, _ := expectSuccess(t, s.login(t))
			user, err := s.appwrite.GetUser(context.Background(), userID)
			if err != nil {
				t.Fatal(err)
			}
			if user.Email != tt.expectEmail {
				t.Errorf("email = %q, want %q", user.Email, tt.expectEmail)
			}
			if user.Name != tt.expectName {
				t.Errorf("name has %d code points, want %d", len([]rune(user.Name)), len([]rune(tt.expectName)))
			}
		})
	}
}

func TestLinkByEmailOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                  string
		givenPolicy           accounts.Policy
		givenExistingVerified bool
		givenEmailVerified    any
		expectCode            string // empty for a linked login
	}{
		{"off by default", accounts.Policy{}, true, true, "email_in_use"},
		{"on and both verified", accounts.Policy{LinkByEmail: true}, true, true, ""},
		{"on but the provider did not verify", accounts.Policy{LinkByEmail: true}, true, false, "email_not_verified"},
		{"on but verified as a foreign string", accounts.Policy{LinkByEmail: true}, true, "yes", "email_not_verified"},
		{"on but the existing account is unverified", accounts.Policy{LinkByEmail: true}, false, true, "account_conflict"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, stackOptions{policy: tt.givenPolicy})
			ctx := context.Background()
			existing, err := s.appwrite.CreateUser(ctx, appwrite.CreateUserRequest{UserID: "existing-user", Email: "shared@example.test"})
			if err != nil {
				t.Fatal(err)
			}
			if tt.givenExistingVerified {
				if _, err := s.appwrite.UpdateEmailVerification(ctx, existing.ID, true); err != nil {
					t.Fatal(err)
				}
			}
			s.op.SetDefaultIdentity(testop.Identity{Subject: "linker", Email: "Shared@Example.TEST", EmailVerified: tt.givenEmailVerified})

			if tt.expectCode != "" {
				expectFailure(t, s.login(t), tt.expectCode)
				if n := s.upstream.tokenRequests(); n != 0 {
					t.Errorf("custom tokens requested = %d, want 0", n)
				}
				return
			}
			first, _ := expectSuccess(t, s.login(t))
			if first != existing.ID {
				t.Errorf("linked login got user %q, want the existing %q", first, existing.ID)
			}
			again, secret := expectSuccess(t, s.login(t))
			if again != existing.ID {
				t.Errorf("second linked login got user %q, want %q", again, existing.ID)
			}
			if status, _ := s.createSession(t, again, secret); status != http.StatusOK {
				t.Errorf("session of the linked user: status %d", status)
			}
			list, err := s.appwrite.ListUsers(ctx, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			if list.Total != 1 {
				t.Errorf("Appwrite has %d users after linking, want 1", list.Total)
			}
		})
	}
}
