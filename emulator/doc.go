// Package emulator is an in-memory Appwrite server for one project, faithful
// enough for the official Appwrite SDKs: the Users API with an API key,
// custom tokens, and token sessions for browsers. tokenbridge uses it in its
// tests and dev mode, and app developers run it as `tokenbridge emulator`.
//
// Routes, all under /v1:
//
//	GET    /health/version                 {"version"}; no project or key needed
//	POST   /users                          create (userId may be "unique()")
//	GET    /users                          list: JSON queries, search, total
//	GET    /users/{userId}                 get
//	DELETE /users/{userId}                 delete with its tokens and sessions
//	PATCH  /users/{userId}/name            update name
//	PATCH  /users/{userId}/email           update e-mail (unchanged e-mail: 409)
//	PATCH  /users/{userId}/verification    update e-mail verification
//	PATCH  /users/{userId}/status          block (false) or unblock (true)
//	PUT    /users/{userId}/labels          replace labels
//	GET    /users/{userId}/prefs           read preferences
//	PATCH  /users/{userId}/prefs           replace preferences
//	POST   /users/{userId}/tokens          mint a custom token
//	DELETE /users/{userId}/sessions        sign the user out everywhere
//	POST   /account/sessions/token         exchange userId and secret for a session
//	GET    /account                        the session's user
//	DELETE /account/sessions/{sessionId}   sign out one session, or "current"
//	DELETE /account/sessions               sign out every session of the user
//
// Every other path returns 404 general_route_not_found. Errors are
// {"message","code","type","version"} with Appwrite's type strings.
//
// Behaviour copied on purpose because real apps meet it: wrong, expired and
// used token secrets all get 401 user_invalid_token; blocked users still get
// tokens and sessions, and their next authenticated call fails with
// user_blocked (401 up to 1.8.x, 403 from 1.9.0, see Config.Version);
// sessions/token allows 10 calls per hour per IP and user ID; an unchanged
// e-mail update conflicts. Sessions travel as the a_session_<projectId>
// cookie, the X-Fallback-Cookies header the web SDK stores and replays, and
// X-Appwrite-Session.
//
// Not emulated: passwords can be set but not used to sign in, and there are
// no OAuth2 routes, teams, MFA, JWTs, databases or realtime.
//
// The contract comes from Appwrite 1.5.11 to 1.9.6 source and from the
// published OpenAPI specs of the 1.5.x and 1.8.x lines; the tests check
// every response against those specs.
package emulator
