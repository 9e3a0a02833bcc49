// Package bridge serves tokenbridge's HTTP routes on Echo v4 and runs the
// login flow.
//
// Routes:
//
//	GET /                     provider chooser; keeps success and failure in its links
//	GET /login/{provider}     validates the return URLs, starts a flow, redirects to the provider
//	GET /callback/{provider}  finishes the flow and redirects to the app
//	GET /healthz              the process serves
//	GET /readyz               every provider's discovery loaded and Appwrite reachable
//	GET /assets/*             the stylesheet
//
// One login, step by step:
//
//	/login:    check success and failure against the allow-list
//	           ─ new flow (state, nonce, PKCE code verifier) ─ flow cookie ─ 302 to the provider
//	/callback: load and delete the flow ─ provider error? ─ exchange the code
//	           ─ verify the ID token ─ resolve the Appwrite user ─ create a custom token
//	           ─ 302 to success?userId&secret, or failure?error&error_description
//
// Each pending flow has its own flow cookie, named after a hash of its
// state, so several tabs can sign in at once. The cookie is signed and
// encrypted with gorilla/sessions and holds no tokens. A flow is used at
// most once: its cookie is deleted and its state remembered until it would
// have expired anyway.
//
// Handlers return errors; one error handler logs each failure once, then
// redirects to the app's failure URL with an error code or renders the error
// page. Pages show fixed text and the request ID, never an error message.
package bridge
