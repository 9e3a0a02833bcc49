package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/tokenbridge/tokenbridge/appwrite"
	"github.com/tokenbridge/tokenbridge/providers"
)

// ProvidersPref is the Appwrite user preference under which each provider
// keeps what it recorded about the user, keyed by provider ID:
//
//	{"<provider id>": {"issuer": "…", "subject": "…", "claims": {…}, "labels": ["…"]}}
//
// "labels" lists the labels that provider added, which are the only ones it
// ever removes. Users can change their own preferences through Appwrite's
// Account API, so apps must not base access decisions on this object.
// Changing the list can only make the bridge remove labels the user holds.
const ProvidersPref = "tokenbridgeProviders"

// Appwrite's limits on labels and preferences (Users API, 1.5 to 1.9).
const (
	maxLabels      = 1000
	maxLabelLength = 36
	maxPrefsChars  = 65535
)

// LabelUpdater replaces a user's labels. A Directory that also implements
// it can sync labels; *appwrite.Client does.
type LabelUpdater interface {
	UpdateLabels(ctx context.Context, userID string, labels []string) (*appwrite.User, error)
}

var _ LabelUpdater = (*appwrite.Client)(nil)

// LabelSync turns a provider's groups and roles into Appwrite labels.
type LabelSync struct {
	// Enabled syncs labels on every login.
	Enabled bool
	// Map gives the label for a group, compared exactly. Its labels must
	// already meet Appwrite's label rules.
	Map map[string]string
	// MappedOnly skips every group that Map does not name. Without it, such
	// a group becomes Prefix followed by the group's letters and digits.
	MappedOnly bool
	// Prefix starts each label made from an unmapped group. It keeps groups
	// that people can create themselves apart from labels the app trusts.
	Prefix string
}

// PrefsSync records where a user came from in ProvidersPref.
type PrefsSync struct {
	// Enabled records the issuer and subject on every login.
	Enabled bool
	// Claims are claim paths (as providers.LookupClaim reads them) whose
	// values are recorded under "claims". A missing claim is left out.
	Claims []string
}

// Resolve returns the Appwrite user for identity, creating it on the first
// login and bringing its name, email, labels and prefs up to date on later
// ones, as policy selects. A returning user whose data did not change costs
// one Appwrite call. The user ID comes from policy.UserID; a subject that
// the subject strategy cannot use wraps ErrInvalidUserID.
func (r *Resolver) Resolve(ctx context.Context, identity *providers.Identity, policy Policy) (*Result, error) {
	result, err := r.resolveUser(ctx, identity, policy)
	if err != nil {
		return nil, err
	}
	if err := r.syncProvider(ctx, result, identity, policy); err != nil {
		return nil, err
	}
	return result, nil
}

// syncProvider brings the labels and the ProvidersPref entry of the
// provider up to date, writing only what changed. It runs after the user
// is resolved and checked.
func (r *Resolver) syncProvider(ctx context.Context, result *Result, identity *providers.Identity, policy Policy) error {
	if !policy.Labels.Enabled && !policy.Prefs.Enabled {
		return nil
	}
	user := result.User
	entry := map[string]any{}
	if policy.Prefs.Enabled {
		entry["issuer"] = identity.Issuer
		entry["subject"] = identity.Subject
		if claims := selectClaims(identity.Claims, policy.Prefs.Claims); len(claims) > 0 {
			entry["claims"] = claims
		}
	}

	var nextLabels []string
	if policy.Labels.Enabled {
		desired, skipped := mapLabels(identity.Groups, policy.Labels)
		result.Skipped = append(result.Skipped, skipped...)
		var managed []string
		nextLabels, managed = mergeLabels(user.Labels, managedLabels(user.Prefs, identity.Provider), desired)
		if len(nextLabels) > maxLabels {
			result.Skipped = append(result.Skipped, fmt.Sprintf("the user would have %d labels, more than Appwrite's %d, so labels were not changed", len(nextLabels), maxLabels))
			nextLabels = nil
			entry["labels"] = sortedCopy(managedLabels(user.Prefs, identity.Provider))
		} else {
			entry["labels"] = managed
		}
	}

	// The entry goes first, so the labels about to be added are already
	// recorded as this provider's when they appear.
	written, err := r.writeEntry(ctx, result, identity.Provider, entry)
	if err != nil {
		return err
	}
	if !written && nextLabels != nil {
		// Without a record of which labels are ours, later logins could
		// not remove them.
		result.Skipped = append(result.Skipped, "labels were not changed because the preferences could not record them")
		return nil
	}
	if nextLabels == nil || sameSet(nextLabels, user.Labels) {
		return nil
	}
	updater, ok := r.dir.(LabelUpdater)
	if !ok {
		return errors.New("label sync is on but the Appwrite directory cannot update labels")
	}
	updated, err := updater.UpdateLabels(ctx, user.ID, nextLabels)
	if err != nil {
		return fmt.Errorf("update labels of user %s: %w", user.ID, err)
	}
	result.User = updated
	result.Updated = append(result.Updated, "labels")
	return nil
}

// writeEntry stores entry as the provider's ProvidersPref entry unless it
// is already stored. It returns false, with a note in result.Skipped, when
// the preferences would exceed Appwrite's size limit even without the
// recorded claims.
func (r *Resolver) writeEntry(ctx context.Context, result *Result, provider string, entry map[string]any) (bool, error) {
	user := result.User
	all, _ := user.Prefs[ProvidersPref].(map[string]any)
	if jsonEqual(all[provider], entry) {
		return true, nil
	}

	prefs, err := withEntry(user.Prefs, provider, entry)
	if err != nil {
		return false, err
	}
	if len(prefs) > maxPrefsChars && entry["claims"] != nil {
		delete(entry, "claims")
		result.Skipped = append(result.Skipped, "the selected claims would make the preferences larger than Appwrite allows and were not stored")
		if prefs, err = withEntry(user.Prefs, provider, entry); err != nil {
			return false, err
		}
	}
	if len(prefs) > maxPrefsChars {
		result.Skipped = append(result.Skipped, "the preferences are at Appwrite's size limit, so this provider's entry was not stored")
		return false, nil
	}

	var object map[string]any
	if err := json.Unmarshal(prefs, &object); err != nil {
		return false, fmt.Errorf("encode preferences of user %s: %w", user.ID, err)
	}
	stored, err := r.dir.UpdatePrefs(ctx, user.ID, object)
	if err != nil {
		return false, fmt.Errorf("update prefs of user %s: %w", user.ID, err)
	}
	user.Prefs = stored
	if !slices.Contains(result.Updated, "prefs") {
		result.Updated = append(result.Updated, "prefs")
	}
	return true, nil
}

// withEntry returns the JSON of prefs with the provider's entry replaced.
// It copies rather than changes prefs.
func withEntry(prefs map[string]any, provider string, entry map[string]any) ([]byte, error) {
	out := make(map[string]any, len(prefs)+1)
	for key, value := range prefs {
		out[key] = value
	}
	all := map[string]any{}
	if existing, ok := prefs[ProvidersPref].(map[string]any); ok {
		for key, value := range existing {
			all[key] = value
		}
	}
	all[provider] = entry
	out[ProvidersPref] = all
	data, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode preferences: %w", err)
	}
	return data, nil
}

// selectClaims returns the claims at paths, keyed by path.
func selectClaims(claims map[string]any, paths []string) map[string]any {
	out := map[string]any{}
	for _, path := range paths {
		if value, ok := providers.LookupClaim(claims, path); ok {
			out[path] = value
		}
	}
	return out
}

// mapLabels turns groups into labels and lists, in plain words, the groups
// that could not become one.
func mapLabels(groups []string, sync LabelSync) (labels, skipped []string) {
	for _, group := range groups {
		label, mapped := sync.Map[group]
		if !mapped {
			if sync.MappedOnly {
				continue
			}
			label = sync.Prefix + sanitizeLabel(group)
			if label == sync.Prefix || len(label) > maxLabelLength {
				skipped = append(skipped, fmt.Sprintf("group %q cannot become an Appwrite label (1 to %d letters and digits) and was skipped", truncate(group, 64), maxLabelLength))
				continue
			}
		}
		if !slices.Contains(labels, label) {
			labels = append(labels, label)
		}
	}
	return labels, skipped
}

// sanitizeLabel keeps the ASCII letters and digits of s.
func sanitizeLabel(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, s)
}

// managedLabels reads the labels the provider recorded as its own.
func managedLabels(prefs map[string]any, provider string) []string {
	all, _ := prefs[ProvidersPref].(map[string]any)
	entry, _ := all[provider].(map[string]any)
	raw, _ := entry["labels"].([]any)
	labels := make([]string, 0, len(raw))
	for _, item := range raw {
		if label, ok := item.(string); ok {
			labels = append(labels, label)
		}
	}
	return labels
}

// mergeLabels returns the user's next labels and the provider's next
// managed set. Labels the provider managed but no longer wants are
// removed, and wanted ones are added. A wanted label the user already had
// without the provider stays unmanaged, so it is never removed.
func mergeLabels(current, managed, desired []string) (next, nextManaged []string) {
	nextManaged = []string{}
	for _, label := range desired {
		if slices.Contains(managed, label) || !slices.Contains(current, label) {
			nextManaged = append(nextManaged, label)
		}
	}
	next = []string{}
	for _, label := range current {
		if slices.Contains(managed, label) && !slices.Contains(desired, label) {
			continue
		}
		next = append(next, label)
	}
	for _, label := range desired {
		if !slices.Contains(next, label) {
			next = append(next, label)
		}
	}
	slices.Sort(nextManaged)
	return next, nextManaged
}

func sortedCopy(labels []string) []string {
	out := slices.Clone(labels)
	slices.Sort(out)
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, item := range a {
		if !slices.Contains(b, item) {
			return false
		}
	}
	return true
}

// jsonEqual compares a stored preference value with a new one after a JSON
// round trip, since stored numbers come back as float64 and lists as []any.
func jsonEqual(stored any, value map[string]any) bool {
	data, err := json.Marshal(value)
	if err != nil {
		return false
	}
	var normalized any
	if err := json.Unmarshal(data, &normalized); err != nil {
		return false
	}
	return reflect.DeepEqual(stored, normalized)
}
