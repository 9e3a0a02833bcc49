// Package devstack runs tokenbridge's local development stack: the bridge,
// a development OpenID provider, the Appwrite emulator and a demo app, each
// on its own 127.0.0.1 port.
//
// Start opens the four listeners, generates a development configuration
// (random cookie keys, API key and client secret), writes it to a file the
// developer can copy, and serves until its context ends:
//
//	demo app  ─ "Sign in" ─▶ bridge /login/dev ─▶ provider sign-in page
//	provider  ─ code ─▶ bridge /callback/dev ─▶ emulator (find or create user, custom token)
//	bridge    ─ 302 ─▶ demo app /done?userId&secret ─▶ emulator POST /v1/account/sessions/token
//
// The development provider (Provider) is built on zitadel/oidc's op
// package. Its sign-in page signs anyone in as any identity, so it binds
// to loopback only and must never face a network.
package devstack
