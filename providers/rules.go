package providers

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrAccessDenied means a verified identity failed one of the provider's
// access rules. The error is always an *AccessDeniedError.
var ErrAccessDenied = errors.New("access denied by an access rule")

// AccessDeniedError names the access rule that refused an identity.
// Description is fixed text meant for the app's failure URL and the error
// page; Error adds the provider, the subject and details for the log. No
// field carries a token.
type AccessDeniedError struct {
	Provider    string // configured provider ID
	Subject     string // sub claim of the refused identity
	Rule        string // rule name, such as "email_domains" or "claims[1]"
	Description string // one sentence for the person signing in
	detail      string // mismatch details for the log only
}

func (e *AccessDeniedError) Error() string {
	return fmt.Sprintf("provider %q: access denied to subject %q by rule %s: %s", e.Provider, e.Subject, e.Rule, e.detail)
}

// Unwrap makes errors.Is(err, ErrAccessDenied) true.
func (e *AccessDeniedError) Unwrap() error { return ErrAccessDenied }

// Rules are the access rules of one provider. An identity must pass every
// rule that is set; the zero value allows everyone.
type Rules struct {
	// EmailDomains allows only emails whose domain is one of these,
	// compared without regard to case. An identity without an email fails.
	EmailDomains []string
	// EmailVerified allows only identities whose email the provider
	// states is verified.
	EmailVerified bool
	// RequireEmail refuses identities without an email. Without it, and
	// without the email rules above, a missing email never blocks a login.
	RequireEmail bool
	// RequireName refuses identities without a name.
	RequireName bool
	// GroupsAnyOf allows identities in at least one of these groups or
	// roles (Identity.Groups, compared exactly).
	GroupsAnyOf []string
	// GroupsAllOf allows identities in every one of these groups or roles.
	GroupsAllOf []string
	// Claims are further rules on single claims.
	Claims []ClaimRule
}

// ClaimRule allows an identity when the claim at Claim (a path as
// LookupClaim reads it) equals one of Values. A claim that is a list
// matches when any entry does. Numbers and booleans compare by their JSON
// text, such as "42" or "true". A missing claim never matches.
type ClaimRule struct {
	Claim  string
	Values []string
	// Name replaces "claims[N]" in logs. Presets use it for rules they add.
	Name string
	// Description replaces the generic text sent to the app when the rule fails.
	Description string
}

// check returns an *AccessDeniedError for the first rule identity fails,
// or nil when it passes them all.
func (r Rules) check(identity *Identity) error {
	deny := func(rule, description, detail string) error {
		return &AccessDeniedError{
			Provider: identity.Provider, Subject: identity.Subject,
			Rule: rule, Description: description, detail: detail,
		}
	}

	if r.RequireEmail && identity.Email == "" {
		return deny("require_email", "The sign-in provider did not share an email address for the account.",
			"the email claim is missing")
	}
	if r.RequireName && identity.Name == "" {
		return deny("require_name", "The sign-in provider did not share a name for the account.",
			"the name claim is missing")
	}
	if r.EmailVerified && (identity.Email == "" || !identity.EmailVerified) {
		return deny("email_verified", "The sign-in provider has not verified the account's email address.",
			"the email is missing or not verified")
	}
	if len(r.EmailDomains) > 0 {
		_, domain, found := strings.Cut(identity.Email, "@")
		allowed := found && slices.ContainsFunc(r.EmailDomains, func(d string) bool { return strings.EqualFold(d, domain) })
		if !allowed {
			return deny("email_domains", "The account's email domain is not allowed to sign in.",
				fmt.Sprintf("email domain %q is not in the allowed list", domain))
		}
	}
	if len(r.GroupsAnyOf) > 0 && !slices.ContainsFunc(r.GroupsAnyOf, func(g string) bool { return slices.Contains(identity.Groups, g) }) {
		return deny("groups_any_of", "The account is in none of the groups allowed to sign in.",
			"the identity is in none of the listed groups")
	}
	for _, group := range r.GroupsAllOf {
		if !slices.Contains(identity.Groups, group) {
			return deny("groups_all_of", "The account is not in every group required to sign in.",
				fmt.Sprintf("the identity is not in group %q", group))
		}
	}
	for i, rule := range r.Claims {
		if rule.matches(identity.Claims) {
			continue
		}
		name := rule.Name
		if name == "" {
			name = fmt.Sprintf("claims[%d]", i)
		}
		description := rule.Description
		if description == "" {
			description = "The account does not have a claim value allowed to sign in."
		}
		return deny(name, description, fmt.Sprintf("claim %q is missing or has a value that is not allowed", rule.Claim))
	}
	return nil
}

func (rule ClaimRule) matches(claims map[string]any) bool {
	for _, value := range claimStrings(claims, rule.Claim) {
		if slices.Contains(rule.Values, value) {
			return true
		}
	}
	return false
}
