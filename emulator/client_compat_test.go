package emulator

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/tokenbridge/tokenbridge/appwrite"
)

// TestBridgeClientAgainstEmulator drives every method of the bridge's
// Appwrite client against the emulator, unchanged. The test server checks
// each exchange against the published specs.
func TestBridgeClientAgainstEmulator(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.Version = "1.9.6" })
	client, err := appwrite.New(appwrite.Config{Endpoint: env.url + "/v1", ProjectID: testProject, APIKey: testAPIKey})
	if err != nil {
		t.Fatalf("appwrite.New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	version, err := client.Version(ctx)
	if err != nil || version != "1.9.6" {
		t.Errorf("Version = %q, %v; want 1.9.6", version, err)
	}

	created, err := client.CreateUser(ctx, appwrite.CreateUserRequest{UserID: "bridge-alice", Email: "Alice@Example.com", Name: "Alice"})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if created.ID != "bridge-alice" || created.Email != "alice@example.com" || !created.Status || created.Registration == "" {
		t.Errorf("CreateUser = %+v", created)
	}
	generated, err := client.CreateUser(ctx, appwrite.CreateUserRequest{UserID: "unique()", Name: "Generated"})
	if err != nil || len(generated.ID) != 20 {
		t.Errorf("CreateUser unique() = %+v, %v", generated, err)
	}
	_, err = client.CreateUser(ctx, appwrite.CreateUserRequest{UserID: "other", Email: "alice@example.com"})
	expectType(t, "CreateUser duplicate e-mail", err, appwrite.TypeUserAlreadyExists)

	got, err := client.GetUser(ctx, "bridge-alice")
	if err != nil || got.Name != "Alice" {
		t.Errorf("GetUser = %+v, %v", got, err)
	}
	_, err = client.GetUser(ctx, "nobody")
	expectType(t, "GetUser missing", err, appwrite.TypeUserNotFound)

	list, err := client.ListUsers(ctx, []appwrite.Query{appwrite.QueryEqual("email", "alice@example.com"), appwrite.QueryLimit(1)}, "")
	if err != nil || list.Total != 1 || len(list.Users) != 1 || list.Users[0].ID != "bridge-alice" {
		t.Errorf("ListUsers by e-mail = %+v, %v", list, err)
	}
	list, err = client.ListUsers(ctx, []appwrite.Query{appwrite.QueryOffset(1)}, "")
	if err != nil || list.Total != 2 || len(list.Users) != 1 || list.Users[0].ID != generated.ID {
		t.Errorf("ListUsers offset 1 = %+v, %v", list, err)
	}
	list, err = client.ListUsers(ctx, nil, "generated")
	if err != nil || list.Total != 1 || list.Users[0].ID != generated.ID {
		t.Errorf("ListUsers search = %+v, %v", list, err)
	}

	if u, err := client.UpdateName(ctx, "bridge-alice", "Alicia"); err != nil || u.Name != "Alicia" {
		t.Errorf("UpdateName = %+v, %v", u, err)
	}
	if u, err := client.UpdateEmailVerification(ctx, "bridge-alice", true); err != nil || !u.EmailVerification {
		t.Errorf("UpdateEmailVerification = %+v, %v", u, err)
	}
	_, err = client.UpdateEmail(ctx, "bridge-alice", "alice@example.com")
	expectType(t, "UpdateEmail unchanged", err, appwrite.TypeUserTargetAlreadyExists)
	if u, err := client.UpdateEmail(ctx, "bridge-alice", "alicia@example.com"); err != nil || u.Email != "alicia@example.com" || u.EmailVerification {
		t.Errorf("UpdateEmail = %+v, %v", u, err)
	}
	if u, err := client.UpdateLabels(ctx, "bridge-alice", []string{"admin", "beta"}); err != nil || !slices.Equal(u.Labels, []string{"admin", "beta"}) {
		t.Errorf("UpdateLabels = %+v, %v", u, err)
	}
	_, err = client.UpdateLabels(ctx, "bridge-alice", []string{"not-valid"})
	expectType(t, "UpdateLabels invalid", err, appwrite.TypeGeneralArgumentInvalid)
	if prefs, err := client.UpdatePrefs(ctx, "bridge-alice", map[string]any{"theme": "dark"}); err != nil || prefs["theme"] != "dark" {
		t.Errorf("UpdatePrefs = %v, %v", prefs, err)
	}

	token, err := client.CreateToken(ctx, "bridge-alice", 64, time.Minute)
	if err != nil || len(token.Secret) != 64 || token.UserID != "bridge-alice" {
		t.Fatalf("CreateToken = %v, %v", token, err)
	}
	r := env.request("POST", "/v1/account/sessions/token", map[string]string{"userId": "bridge-alice", "secret": token.Secret}, nil)
	mustStatus(t, r, http.StatusCreated)
	session := fallbackSession(t, r)

	if u, err := client.UpdateStatus(ctx, "bridge-alice", false); err != nil || u.Status {
		t.Errorf("UpdateStatus = %+v, %v", u, err)
	}
	r = env.request("GET", "/v1/account", nil, asSession(session))
	mustStatus(t, r, http.StatusForbidden)
	if r.errorType(t) != appwrite.TypeUserBlocked {
		t.Errorf("account of blocked user: type %s, want %s", r.errorType(t), appwrite.TypeUserBlocked)
	}

	wrongKey, err := appwrite.New(appwrite.Config{Endpoint: env.url + "/v1", ProjectID: testProject, APIKey: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrongKey.GetUser(ctx, "bridge-alice")
	expectType(t, "GetUser with wrong key", err, appwrite.TypeGeneralUnauthorizedScope)
}

func expectType(t *testing.T, call string, err error, typ string) {
	t.Helper()
	if !appwrite.IsType(err, typ) {
		t.Errorf("%s: error %v, want type %s", call, err, typ)
	}
}
