// Package appwrite is a typed REST client for the parts of the Appwrite
// server API that tokenbridge calls: the Users API (find, create and update
// users, mint custom tokens) and the public version endpoint.
//
// The client speaks the Appwrite 1.5 wire format (JSON query strings, the
// X-Appwrite-Response-Format: 1.5.0 header), which servers from 1.5 through
// 1.9 accept. It authenticates with a server API key, retries only idempotent
// GET requests, and returns Appwrite's error responses as *Error so callers can
// branch on the HTTP status and the error type string.
//
// The package never logs. No value it returns, and no error message it
// builds, contains the API key or a token secret, except the Secret field of
// a successfully created Token.
package appwrite
