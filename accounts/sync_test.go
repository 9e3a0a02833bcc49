package accounts

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tokenbridge/tokenbridge/providers"
)

func TestMergeLabels(t *testing.T) {
	tests := []struct {
		name                     string
		current, managed, wanted []string
		next, nextManaged        []string
	}{
		{"first sync adds", []string{}, nil, []string{"a", "b"}, []string{"a", "b"}, []string{"a", "b"}},
		{"removes only managed", []string{"a", "own"}, []string{"a"}, []string{}, []string{"own"}, []string{}},
		{"label the app set stays unmanaged", []string{"a"}, nil, []string{"a"}, []string{"a"}, []string{}},
		{"unmanaged label survives removal", []string{"a"}, nil, []string{}, []string{"a"}, []string{}},
		{"re-adds a managed label removed by hand", []string{}, []string{"a"}, []string{"a"}, []string{"a"}, []string{"a"}},
		{"keeps order of current", []string{"z", "m"}, []string{"m"}, []string{"m", "b"}, []string{"z", "m", "b"}, []string{"b", "m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, managed := mergeLabels(tt.current, tt.managed, tt.wanted)
			if !slices.Equal(next, tt.next) {
				t.Errorf("next = %q, want %q", next, tt.next)
			}
			if !slices.Equal(managed, tt.nextManaged) {
				t.Errorf("managed = %q, want %q", managed, tt.nextManaged)
			}
		})
	}
}

func TestMapLabels(t *testing.T) {
	long := strings.Repeat("g", 37)
	sync := LabelSync{Map: map[string]string{"/admins": "admin"}, Prefix: "kc"}
	labels, skipped := mapLabels([]string{"/admins", "team-a", "team_a", "---", long, "Grüne"}, sync)
	if want := []string{"admin", "kcteama", "kcGrne"}; !slices.Equal(labels, want) {
		t.Errorf("labels = %q, want %q", labels, want)
	}
	if len(skipped) != 2 {
		t.Errorf("skipped = %q, want the empty and the too long group", skipped)
	}

	sync.MappedOnly = true
	labels, skipped = mapLabels([]string{"/admins", "team-a"}, sync)
	if !slices.Equal(labels, []string{"admin"}) || len(skipped) != 0 {
		t.Errorf("mapped only: labels %q skipped %q", labels, skipped)
	}
}

func TestUserIDStrategy(t *testing.T) {
	identity := &providers.Identity{Provider: "p", Issuer: "https://idp.example", Subject: "user-1"}
	tests := []struct {
		name     string
		strategy UserIDStrategy
		subject  string
		want     string
		wantErr  error
	}{
		{"zero value derives", UserIDStrategy{}, "user-1", DeriveUserID("https://idp.example", "user-1"), nil},
		{"derived", UserIDStrategy{Kind: UserIDDerived}, "user-1", DeriveUserID("https://idp.example", "user-1"), nil},
		{"namespace", UserIDStrategy{Kind: UserIDNamespace, Namespace: "ns"}, "user-1", DeriveUserID("ns", "user-1"), nil},
		{"subject", UserIDStrategy{Kind: UserIDSubject}, "user-1", "user-1", nil},
		{"subject with pipe", UserIDStrategy{Kind: UserIDSubject}, "auth0|1", "", ErrInvalidUserID},
		{"subject leading underscore", UserIDStrategy{Kind: UserIDSubject}, "_x", "", ErrInvalidUserID},
		{"subject too long", UserIDStrategy{Kind: UserIDSubject}, strings.Repeat("a", 37), "", ErrInvalidUserID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := *identity
			id.Subject = tt.subject
			got, err := tt.strategy.UserID(&id)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("UserID = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
