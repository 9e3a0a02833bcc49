package bridge

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// readinessCacheTime is how long one Appwrite check serves /readyz, so
// frequent probes do not each reach Appwrite.
const readinessCacheTime = 2 * time.Second

// readiness reports whether the bridge can serve logins.
type readiness struct {
	providers []*Provider
	appwrite  Appwrite

	mu         sync.Mutex
	checkedAt  time.Time
	appwriteOK bool
}

func newReadiness(providers []*Provider, appwrite Appwrite) *readiness {
	return &readiness{providers: providers, appwrite: appwrite}
}

// check returns the names of the parts that are not ready.
func (r *readiness) check(ctx context.Context) []string {
	var notReady []string
	for _, p := range r.providers {
		if !p.Ready() {
			notReady = append(notReady, "provider "+p.ID())
		}
	}
	if !r.appwriteReachable(ctx) {
		notReady = append(notReady, "appwrite")
	}
	return notReady
}

func (r *readiness) appwriteReachable(ctx context.Context) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.checkedAt) < readinessCacheTime {
		return r.appwriteOK
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_, err := r.appwrite.Version(ctx)
	r.appwriteOK = err == nil
	r.checkedAt = time.Now()
	return r.appwriteOK
}

// handleHealthz responds 200 while the process serves.
func (h *Handler) handleHealthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz responds 200 when every provider's discovery has loaded and
// Appwrite responds, else 503 with the parts that are not ready.
func (h *Handler) handleReadyz(c echo.Context) error {
	notReady := h.readiness.check(c.Request().Context())
	if len(notReady) > 0 {
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "not ready", "waiting_for": notReady})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
