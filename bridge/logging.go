package bridge

import (
	"context"
	"log/slog"
)

// LogHandler wraps a slog.Handler and adds the request_id attribute to
// every record logged with a request's context.
type LogHandler struct {
	slog.Handler
}

// NewLogHandler returns a LogHandler around next.
func NewLogHandler(next slog.Handler) *LogHandler {
	return &LogHandler{Handler: next}
}

// Handle adds request_id when the context carries one.
func (h *LogHandler) Handle(ctx context.Context, record slog.Record) error {
	if id := requestID(ctx); id != "" {
		record.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, record)
}

// WithAttrs keeps the wrapper around the derived handler.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &LogHandler{Handler: h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the wrapper around the derived handler.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	return &LogHandler{Handler: h.Handler.WithGroup(name)}
}
