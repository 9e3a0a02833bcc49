package accounts_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenbridge/tokenbridge/accounts"
	"github.com/tokenbridge/tokenbridge/appwrite"
	"github.com/tokenbridge/tokenbridge/emulator"
	"github.com/tokenbridge/tokenbridge/providers"
)

const (
	testProject = "accounts-test"
	testAPIKey  = "accounts-test-key-0123456789abcdef"
	testIssuer  = "https://issuer.example.test/"
)

// backend is an Appwrite emulator behind a handler that can replace or
// observe responses, reached through the real appwrite.Client.
type backend struct {
	client   *appwrite.Client
	emulator http.Handler

	mu       sync.Mutex
	fault    func(w http.ResponseWriter, r *http.Request) bool
	requests []string // "METHOD path?query" of each request
}

func newBackend(t *testing.T, timeout time.Duration) *backend {
	t.Helper()
	emu, err := emulator.New(emulator.Config{ProjectID: testProject, APIKey: testAPIKey, DisableRateLimit: true})
	if err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	b := &backend{emulator: emu}
	server := httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(server.Close)
	b.client, err = appwrite.New(appwrite.Config{Endpoint: server.URL + "/v1", ProjectID: testProject, APIKey: testAPIKey, Timeout: timeout})
	if err != nil {
		t.Fatalf("appwrite client: %v", err)
	}
	return b
}

func (b *backend) serve(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.requests = append(b.requests, r.Method+" "+r.URL.RequestURI())
	fault := b.fault
	b.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	b.emulator.ServeHTTP(w, r)
}

func (b *backend) setFault(f func(w http.ResponseWriter, r *http.Request) bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fault = f
}

func (b *backend) seen() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...)
}

// rewriteJSON passes r to the emulator and lets edit change the decoded
// JSON response before it is sent.
func (b *backend) rewriteJSON(w http.ResponseWriter, r *http.Request, edit func(map[string]any)) {
	recorder := httptest.NewRecorder()
	b.emulator.ServeHTTP(recorder, r)
	var body map[string]any
	if err := json.Unmarshal(recorder.Body.Bytes(), &body); err != nil {
		http.Error(w, "the emulator response is not JSON: "+err.Error(), http.StatusInternalServerError)
		return
	}
	edit(body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(recorder.Code)
	_ = json.NewEncoder(w).Encode(body)
}

func identity(subject, email string, verified bool, name string) *providers.Identity {
	return &providers.Identity{Provider: "test", Issuer: testIssuer, Subject: subject, Email: email, EmailVerified: verified, Name: name}
}

// existingUser creates a user directly, as the app's own sign-up would.
func existingUser(t *testing.T, b *backend, id, email string, verified bool) *appwrite.User {
	t.Helper()
	ctx := context.Background()
	user, err := b.client.CreateUser(ctx, appwrite.CreateUserRequest{UserID: id, Email: email})
	if err != nil {
		t.Fatal(err)
	}
	if verified {
		if user, err = b.client.UpdateEmailVerification(ctx, id, true); err != nil {
			t.Fatal(err)
		}
	}
	return user
}

func TestResolveCreatesThenReturns(t *testing.T) {
	t.Parallel()
	b := newBackend(t, 2*time.Second)
	r := accounts.NewResolver(b.client)
	ctx := context.Background()
	id := identity("sub-1", "Ada@Example.TEST", true, "Ada")

	first, err := r.Resolve(ctx, id, accounts.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || first.User.ID != accounts.DeriveUserID(testIssuer, "sub-1") {
		t.Errorf("first resolve: created %v, user %q", first.Created, first.User.ID)
	}
	if first.User.Email != "ada@example.test" || !first.User.EmailVerification {
		t.Errorf("first resolve: email %q, verified %v", first.User.Email, first.User.EmailVerification)
	}

	again, err := r.Resolve(ctx, id, accounts.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Created || again.User.ID != first.User.ID || len(again.Updated) != 0 {
		t.Errorf("returning resolve: created %v, user %q, updated %v", again.Created, again.User.ID, again.Updated)
	}
}

func TestResolveNameCutByCodePoints(t *testing.T) {
	t.Parallel()
	b := newBackend(t, 2*time.Second)
	result, err := accounts.NewResolver(b.client).Resolve(context.Background(),
		identity("long", "", false, strings.Repeat("𝄞", 129)), accounts.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if result.User.Name != strings.Repeat("𝄞", 128) {
		t.Errorf("name is %d bytes, want 128 code points of a 4-byte character", len(result.User.Name))
	}
}

func TestResolveLinkByEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                  string
		givenPolicy           accounts.Policy
		givenExistingVerified bool
		givenEmailVerified    bool
		expectErr             error // nil for a link
	}{
		{"off by default", accounts.Policy{}, true, true, accounts.ErrEmailInUse},
		{"on, both verified", accounts.Policy{LinkByEmail: true}, true, true, nil},
		{"on, provider did not verify", accounts.Policy{LinkByEmail: true}, true, false, accounts.ErrEmailNotVerified},
		{"on, existing account unverified", accounts.Policy{LinkByEmail: true}, false, true, accounts.ErrAccountConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t, 2*time.Second)
			existing := existingUser(t, b, "app-user", "shared@example.test", tt.givenExistingVerified)
			r := accounts.NewResolver(b.client)
			ctx := context.Background()
			id := identity("linker", "Shared@Example.TEST", tt.givenEmailVerified, "")

			result, err := r.Resolve(ctx, id, tt.givenPolicy)
			if tt.expectErr != nil {
				if !errors.Is(err, tt.expectErr) {
					t.Fatalf("Resolve error = %v, want %v", err, tt.expectErr)
				}
				user, getErr := b.client.GetUser(ctx, existing.ID)
				if getErr != nil {
					t.Fatal(getErr)
				}
				if _, linked := user.Prefs[accounts.LinksPref]; linked {
					t.Errorf("a refused link was recorded: %v", user.Prefs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !result.Linked || result.User.ID != existing.ID {
				t.Fatalf("linked %v to user %q, want a link to %q", result.Linked, result.User.ID, existing.ID)
			}

			// The linked identity logs in again to the same user.
			again, err := r.Resolve(ctx, id, tt.givenPolicy)
			if err != nil {
				t.Fatal(err)
			}
			if again.User.ID != existing.ID || again.Created {
				t.Errorf("second login: user %q, created %v", again.User.ID, again.Created)
			}
		})
	}
}

func TestResolveLinkQueryIsExactLowerCasedEqual(t *testing.T) {
	t.Parallel()
	b := newBackend(t, 2*time.Second)
	existingUser(t, b, "app-user", "mixed@example.test", true)
	_, err := accounts.NewResolver(b.client).Resolve(context.Background(),
		identity("q", "MiXeD@Example.Test", true, ""), accounts.Policy{LinkByEmail: true})
	if err != nil {
		t.Fatal(err)
	}

	want := appwrite.QueryEqual("email", "mixed@example.test")
	found := false
	for _, request := range b.seen() {
		if !strings.HasPrefix(request, "GET /v1/users?") {
			continue
		}
		query := mustQuery(t, request)
		var queries []string
		for key, values := range query {
			if strings.HasPrefix(key, "queries[") {
				queries = append(queries, values...)
			}
		}
		for _, q := range queries {
			if q == string(want) {
				found = true
			}
			if strings.Contains(q, "search") || strings.Contains(q, "MiXeD") {
				t.Errorf("user lookup uses %s, want an exact equal on the lower-cased email", q)
			}
		}
		if query.Get("search") != "" {
			t.Errorf("user lookup uses full-text search %q", query.Get("search"))
		}
	}
	if !found {
		t.Errorf("no user list request carried %s; requests: %v", want, b.seen())
	}
}

func TestResolveLinkRechecksEquality(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		edit      func(users []any) []any
		expectErr error
	}{
		{"a near-miss email is not a match", func(users []any) []any {
			users[0].(map[string]any)["email"] = "shared@example.test.evil"
			return users
		}, accounts.ErrEmailInUse},
		{"two users share the email", func(users []any) []any {
			twin := map[string]any{}
			for k, v := range users[0].(map[string]any) {
				twin[k] = v
			}
			twin["$id"] = "twin-user"
			return append(users, twin)
		}, accounts.ErrAccountConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t, 2*time.Second)
			existing := existingUser(t, b, "app-user", "shared@example.test", true)
			b.setFault(func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodGet || r.URL.Path != "/v1/users" {
					return false
				}
				b.rewriteJSON(w, r, func(body map[string]any) {
					users, _ := body["users"].([]any)
					if len(users) == 0 {
						return
					}
					body["users"] = tt.edit(users)
					body["total"] = len(body["users"].([]any))
				})
				return true
			})

			_, err := accounts.NewResolver(b.client).Resolve(context.Background(),
				identity("linker", "shared@example.test", true, ""), accounts.Policy{LinkByEmail: true})
			if !errors.Is(err, tt.expectErr) {
				t.Fatalf("Resolve error = %v, want %v", err, tt.expectErr)
			}
			b.setFault(nil)
			user, err := b.client.GetUser(context.Background(), existing.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, linked := user.Prefs[accounts.LinksPref]; linked {
				t.Errorf("the existing user was linked: %v", user.Prefs)
			}
		})
	}
}

func TestResolveConflictReadsAgain(t *testing.T) {
	t.Parallel()
	b := newBackend(t, 2*time.Second)
	userID := accounts.DeriveUserID(testIssuer, "racer")
	// Another login created the user between this login's read and create.
	existingUser(t, b, userID, "racer@example.test", true)
	var hidden sync.Once
	b.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		handled := false
		if r.Method == http.MethodGet && r.URL.Path == "/v1/users/"+userID {
			hidden.Do(func() {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(`{"message":"User with the requested ID could not be found.","code":404,"type":"user_not_found","version":"1.6.0"}`))
				handled = true
			})
			return handled
		}
		if r.Method == http.MethodPost && r.URL.Path == "/v1/users" {
			// A message that reads like something else; only the status counts.
			b.rewriteJSON(w, r, func(body map[string]any) { body["message"] = "user_not_found: the email is free" })
			return true
		}
		return false
	})

	result, err := accounts.NewResolver(b.client).Resolve(context.Background(),
		identity("racer", "racer@example.test", true, ""), accounts.Policy{})
	if err != nil {
		t.Fatalf("Resolve after a 409: %v", err)
	}
	if result.Created || result.User.ID != userID {
		t.Errorf("created %v, user %q; want the existing %q", result.Created, result.User.ID, userID)
	}
}

func TestResolveUpstreamFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault func(b *backend, w http.ResponseWriter, r *http.Request) bool
	}{
		{"500 on read", func(b *backend, w http.ResponseWriter, r *http.Request) bool {
			w.WriteHeader(http.StatusInternalServerError)
			return true
		}},
		{"429 on read", func(b *backend, w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"message":"Rate limit for the current endpoint has been exceeded.","code":429,"type":"general_rate_limit_exceeded","version":"1.6.0"}`))
			return true
		}},
		{"garbage", func(b *backend, w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("<html>proxy error"))
			return true
		}},
		{"no answer", func(b *backend, w http.ResponseWriter, r *http.Request) bool {
			<-r.Context().Done()
			return true
		}},
		{"create answer lost after the user was stored", func(b *backend, w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodPost || r.URL.Path != "/v1/users" {
				return false
			}
			b.emulator.ServeHTTP(httptest.NewRecorder(), r)
			w.WriteHeader(http.StatusBadGateway)
			return true
		}},
		{"email verification update fails after create", func(b *backend, w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodPatch || !strings.HasSuffix(r.URL.Path, "/verification") {
				return false
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}},
	}
	sentinels := []error{accounts.ErrBlocked, accounts.ErrEmailInUse, accounts.ErrEmailNotVerified, accounts.ErrAccountConflict}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t, 300*time.Millisecond)
			r := accounts.NewResolver(b.client)
			ctx := context.Background()
			id := identity("faulty", "faulty@example.test", true, "Faulty")
			b.setFault(func(w http.ResponseWriter, req *http.Request) bool { return tt.fault(b, w, req) })

			_, err := r.Resolve(ctx, id, accounts.Policy{})
			if err == nil {
				t.Fatal("Resolve succeeded during the fault")
			}
			for _, sentinel := range sentinels {
				if errors.Is(err, sentinel) {
					t.Errorf("an upstream fault reads as %v: %v", sentinel, err)
				}
			}

			// A retry after the fault finds no half-created state in its way.
			b.setFault(nil)
			result, err := r.Resolve(ctx, id, accounts.Policy{})
			if err != nil {
				t.Fatalf("retry after the fault: %v", err)
			}
			if !result.User.EmailVerification || result.User.Email != "faulty@example.test" || result.User.Name != "Faulty" {
				t.Errorf("user after the retry: email %q verified %v name %q", result.User.Email, result.User.EmailVerification, result.User.Name)
			}
			list, err := b.client.ListUsers(ctx, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			if list.Total != 1 {
				t.Errorf("Appwrite has %d users, want 1", list.Total)
			}
		})
	}
}

func TestResolveConcurrentFirstLogins(t *testing.T) {
	t.Parallel()
	b := newBackend(t, 5*time.Second)
	r := accounts.NewResolver(b.client)
	const logins = 25
	users := make([]string, logins)
	errs := make([]error, logins)
	var wg sync.WaitGroup
	for i := range logins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			result, err := r.Resolve(context.Background(), identity("crowd", "crowd@example.test", true, "Crowd"), accounts.Policy{})
			errs[i] = err
			if err == nil {
				users[i] = result.User.ID
			}
		}()
	}
	wg.Wait()
	for i := range logins {
		if errs[i] != nil {
			t.Errorf("login %d: %v", i, errs[i])
		} else if users[i] != users[0] {
			t.Errorf("login %d got user %q, login 0 got %q", i, users[i], users[0])
		}
	}
	list, err := b.client.ListUsers(context.Background(), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if list.Total != 1 {
		t.Errorf("Appwrite has %d users after %d concurrent first logins, want 1", list.Total, logins)
	}
}

func mustQuery(t *testing.T, request string) url.Values {
	t.Helper()
	_, rawQuery, _ := strings.Cut(request, "?")
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		t.Fatalf("parse %q: %v", request, err)
	}
	return values
}

func TestResolveForgedLinkPrefIgnored(t *testing.T) {
	t.Parallel()
	b := newBackend(t, 2*time.Second)
	r := accounts.NewResolver(b.client)
	ctx := context.Background()

	// Someone registers the victim's address without verifying it and writes
	// the victim's derived user ID into their own prefs, which Appwrite
	// users can edit.
	victimID := accounts.DeriveUserID(testIssuer, "victim")
	squatter := existingUser(t, b, "squatter", "victim@example.test", false)
	if _, err := b.client.UpdatePrefs(ctx, squatter.ID, map[string]any{accounts.LinksPref: []any{victimID}}); err != nil {
		t.Fatal(err)
	}

	_, err := r.Resolve(ctx, identity("victim", "victim@example.test", true, "Victim"), accounts.Policy{LinkByEmail: true})
	if !errors.Is(err, accounts.ErrAccountConflict) {
		t.Fatalf("resolve with a forged link pref: err = %v, want ErrAccountConflict", err)
	}
}
