package emulator

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// DefaultVersion is the Appwrite server version emulated when Config.Version
// is empty.
const DefaultVersion = "1.5.11"

// serverVersion is an emulated Appwrite version, between 1.5.0 and 1.9.x.
type serverVersion struct {
	major, minor, patch int
}

// parseVersion reads "MAJOR.MINOR.PATCH" and accepts the lines whose
// behaviour the emulator reproduces: 1.5 to 1.9.
func parseVersion(s string) (serverVersion, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return serverVersion{}, fmt.Errorf("version %q is not of the form 1.MINOR.PATCH", s)
	}

	var numbers [3]int
	for i, part := range parts {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return serverVersion{}, fmt.Errorf("version %q is not of the form 1.MINOR.PATCH", s)
		}
		numbers[i] = n
	}

	v := serverVersion{major: numbers[0], minor: numbers[1], patch: numbers[2]}
	if v.major != 1 || v.minor < 5 || v.minor > 9 {
		return serverVersion{}, fmt.Errorf("version %q is not supported: use a 1.5.x to 1.9.x version, for example %s", s, DefaultVersion)
	}
	return v, nil
}

func (v serverVersion) String() string {
	return fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch)
}

func (v serverVersion) atLeast(major, minor int) bool {
	if v.major != major {
		return v.major > major
	}
	return v.minor >= minor
}

// blockedStatus is the HTTP status of user_blocked: Appwrite changed it from
// 401 to 403 in 1.9.0.
func (v serverVersion) blockedStatus() int {
	if v.atLeast(1, 9) {
		return http.StatusForbidden
	}
	return http.StatusUnauthorized
}

// keyAndSessionType is the error type for a request that carries both an API
// key and a session, renamed in 1.9.0.
func (v serverVersion) keyAndSessionType() ErrorType {
	if v.atLeast(1, 9) {
		return TypeAPIKeyAndSessionSet
	}
	return TypeKeyAndSessionSet
}

// resetsRateLimitOnSuccess reports whether a 201 from
// POST /v1/account/sessions/token clears the caller's rate-limit counter,
// which Appwrite does from 1.9.0.
func (v serverVersion) resetsRateLimitOnSuccess() bool {
	return v.atLeast(1, 9)
}
