package providers

// Presets are the supported vendors, as data. A preset turns a few
// settings (PresetInputs) into a Config: the issuer from its pattern, the
// scopes and claim names the vendor uses, and the vendor's quirks, each
// with the reason it exists. Apply in preset.go interprets them.
var Presets = []*Preset{
	{
		Name:     "oidc",
		About:    "any OpenID Connect provider, by its issuer's discovery document or by explicit endpoints",
		Optional: nil,
		Scopes:   []string{"openid", "email", "profile"},
	},
	{
		Name:     "auth0",
		About:    "Auth0, by tenant domain (tenant.eu.auth0.com) or custom domain",
		Issuers:  []IssuerPattern{{Pattern: "{domain}/"}}, // Auth0's issuer ends in a slash, and its tokens carry it that way.
		Required: []string{InputDomain},
		Optional: []string{InputAudience, InputConnection, InputOrganization},
		Scopes:   []string{"openid", "email", "profile"},
		Quirks: []Quirk{
			{
				Reason:    "audience makes Auth0 issue an access token for that API; the ID token is unchanged",
				AuthParam: &InputParam{Param: "audience", Input: InputAudience},
			},
			{
				Reason:    "connection sends the person straight to one Auth0 connection, skipping Auth0's chooser",
				AuthParam: &InputParam{Param: "connection", Input: InputConnection},
			},
			{
				Reason:    "organization asks Auth0 to sign the person in to that organization",
				AuthParam: &InputParam{Param: "organization", Input: InputOrganization},
			},
			{
				Reason: "the browser can drop the organization parameter, so the token's org_id (an ID starting with org_) or org_name (a name, which Auth0 lower-cases) must name the organization",
				InputRule: &InputRule{
					Input: InputOrganization, Claim: "org_id", NameClaim: "org_name", IDPrefix: "org_",
					Description: "The account did not sign in to the organization this app requires.",
				},
			},
		},
	},
	{
		Name:        "google",
		About:       "Google accounts and Google Workspace",
		Issuers:     []IssuerPattern{{Pattern: "{base_url}"}},
		DefaultBase: "https://accounts.google.com",
		Optional:    []string{InputHostedDomain, InputBaseURL},
		Scopes:      []string{"openid", "email", "profile"},
		Quirks: []Quirk{
			{
				// Source: the iss field of TokenPayload in google-auth-library's
				// reference, which copies Google's ID token documentation.
				Reason:              "Google ID tokens name the issuer as https://accounts.google.com or as accounts.google.com",
				IssuerWithoutScheme: true,
			},
			{
				Reason:    "hd makes Google offer only accounts of that Workspace domain",
				AuthParam: &InputParam{Param: "hd", Input: InputHostedDomain},
			},
			{
				Reason: "the hd parameter only filters Google's account chooser and the browser can remove it, so the token's hd claim must equal the domain",
				InputRule: &InputRule{
					Input: InputHostedDomain, Claim: "hd",
					Description: "The account does not belong to the Google Workspace domain this app requires.",
				},
			},
		},
	},
	{
		Name:        "microsoft",
		About:       "Microsoft Entra ID (work, school and personal Microsoft accounts)",
		Issuers:     []IssuerPattern{{Pattern: "{base_url}/{tenant}/v2.0"}},
		DefaultBase: "https://login.microsoftonline.com",
		Required:    []string{InputTenant},
		Optional:    []string{InputAllowedTenants, InputBaseURL},
		Scopes:      []string{"openid", "email", "profile"},
		Claims: ClaimNames{
			// Entra sends no email_verified claim. xms_edov ("email domain
			// owner verified") is true only when the tenant owns the email's
			// domain, so without it Entra emails count as unverified.
			EmailVerified: "xms_edov",
			// groups holds group object IDs when the app registration emits
			// them; roles holds the app roles assigned to the person.
			Groups: []string{"groups", "roles"},
		},
		Quirks: []Quirk{
			{
				Reason:       "the common and organizations endpoints publish the issuer as a template, https://login.microsoftonline.com/{tenantid}/v2.0, and each token's iss names the person's own tenant from its tid claim",
				TenantIssuer: true,
			},
			{
				Reason: "with a multi-tenant endpoint any Entra tenant can sign people in, so allowed_tenants limits the tid claim",
				InputRule: &InputRule{
					Input: InputAllowedTenants, Claim: "tid",
					Description: "The account's Microsoft Entra tenant is not allowed to sign in to this app.",
				},
			},
		},
	},
	{
		Name:  "okta",
		About: "Okta, with the org authorization server or a custom one such as default",
		Issuers: []IssuerPattern{
			{When: InputAuthorizationServer, Pattern: "{domain}/oauth2/{authorization_server}"},
			{Pattern: "{domain}"},
		},
		Required: []string{InputDomain},
		Optional: []string{InputAuthorizationServer},
		// groups is sent only when the app's groups claim filter is set up.
		Scopes: []string{"openid", "email", "profile"},
	},
	{
		Name:     "keycloak",
		About:    "Keycloak, by realm URL such as https://sso.example.com/realms/main",
		Issuers:  []IssuerPattern{{Pattern: "{realm_url}"}},
		Required: []string{InputRealmURL},
		Scopes:   []string{"openid", "email", "profile"},
		Claims: ClaimNames{
			// Realm roles and the client's own roles sit in nested claims;
			// groups appears once a group membership mapper is added.
			Groups: []string{"groups", "realm_access.roles", "resource_access.{client_id}.roles"},
		},
	},
	{
		Name:        "gitlab",
		About:       "GitLab.com or a self-managed GitLab, by base URL",
		Issuers:     []IssuerPattern{{Pattern: "{base_url}"}},
		DefaultBase: "https://gitlab.com",
		Optional:    []string{InputBaseURL},
		Scopes:      []string{"openid", "email", "profile"},
		Claims: ClaimNames{
			// The ID token lists direct group memberships in groups_direct;
			// userinfo adds every group, inherited ones too, as groups.
			// GitLab also sends sub_legacy, an older hashed subject. The
			// subject is always read from sub and never from sub_legacy.
			Groups: []string{"groups_direct", "groups"},
		},
	},
	{
		Name:        "cognito",
		About:       "Amazon Cognito user pools",
		Issuers:     []IssuerPattern{{Pattern: "{base_url}/{user_pool_id}"}},
		DefaultBase: "https://cognito-idp.{region}.amazonaws.com",
		Required:    []string{InputRegion, InputUserPoolID},
		Optional:    []string{InputBaseURL},
		Scopes:      []string{"openid", "email", "profile"},
		Claims: ClaimNames{
			// Cognito sends email_verified as the string "true" or "false";
			// ParseEmailVerified accepts both forms for every provider.
			Groups: []string{"cognito:groups"},
		},
	},
}
