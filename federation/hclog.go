package federation

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
)

// hclogAdapter is the hclog.Logger raft and its transport log to. It
// forwards every line to a slog.Logger, mapping levels (Trace → Debug-4,
// Debug, Info, Warn, Error) and keeping the caller's source position. The
// slog handler decides what is enabled; SetLevel can only raise the floor.
type hclogAdapter struct {
	log     *slog.Logger
	name    string
	implied []any
	floor   *atomic.Int32 // hclog.Level shared by derived loggers, as in hclog
}

// newHCLog returns an adapter writing to l.
func newHCLog(l *slog.Logger) *hclogAdapter {
	floor := new(atomic.Int32)
	floor.Store(int32(hclog.Trace))
	return &hclogAdapter{log: l, floor: floor}
}

// LevelTrace is the slog level raft's Trace lines are logged at.
const LevelTrace = slog.LevelDebug - 4

func slogLevel(l hclog.Level) slog.Level {
	switch l {
	case hclog.Trace:
		return LevelTrace
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	default: // Info, NoLevel
		return slog.LevelInfo
	}
}

func (a *hclogAdapter) enabled(l hclog.Level) bool {
	if l == hclog.NoLevel {
		l = hclog.Info
	}
	if l == hclog.Off || l < hclog.Level(a.floor.Load()) {
		return false
	}
	return a.log.Enabled(context.Background(), slogLevel(l))
}

// emit logs one line; skip is the number of frames between the caller of
// interest and emit.
func (a *hclogAdapter) emit(skip int, l hclog.Level, msg string, args []any) {
	if !a.enabled(l) {
		return
	}
	var pcs [1]uintptr
	if skip > 0 {
		runtime.Callers(skip+2, pcs[:]) // +2: runtime.Callers and emit
	}
	r := slog.NewRecord(time.Now(), slogLevel(l), msg, pcs[0])
	if a.name != "" {
		r.AddAttrs(slog.String("logger", a.name))
	}
	r.Add(convertArgs(args)...)
	_ = a.log.Handler().Handle(context.Background(), r)
}

// convertArgs renders hclog.Format values, which slog would print as
// slices; it copies args before changing them.
func convertArgs(args []any) []any {
	copied := false
	for i, v := range args {
		f, ok := v.(hclog.Format)
		if !ok || len(f) == 0 {
			continue
		}
		if s, ok := f[0].(string); ok {
			if !copied {
				args, copied = append([]any(nil), args...), true
			}
			args[i] = fmt.Sprintf(s, f[1:]...)
		}
	}
	return args
}

func (a *hclogAdapter) Log(l hclog.Level, msg string, args ...any) { a.emit(1, l, msg, args) }
func (a *hclogAdapter) Trace(msg string, args ...any)              { a.emit(1, hclog.Trace, msg, args) }
func (a *hclogAdapter) Debug(msg string, args ...any)              { a.emit(1, hclog.Debug, msg, args) }
func (a *hclogAdapter) Info(msg string, args ...any)               { a.emit(1, hclog.Info, msg, args) }
func (a *hclogAdapter) Warn(msg string, args ...any)               { a.emit(1, hclog.Warn, msg, args) }
func (a *hclogAdapter) Error(msg string, args ...any)              { a.emit(1, hclog.Error, msg, args) }

func (a *hclogAdapter) IsTrace() bool { return a.enabled(hclog.Trace) }
func (a *hclogAdapter) IsDebug() bool { return a.enabled(hclog.Debug) }
func (a *hclogAdapter) IsInfo() bool  { return a.enabled(hclog.Info) }
func (a *hclogAdapter) IsWarn() bool  { return a.enabled(hclog.Warn) }
func (a *hclogAdapter) IsError() bool { return a.enabled(hclog.Error) }

func (a *hclogAdapter) ImpliedArgs() []any { return append([]any(nil), a.implied...) }

func (a *hclogAdapter) With(args ...any) hclog.Logger {
	c := *a
	c.log = a.log.With(convertArgs(args)...)
	c.implied = append(append([]any(nil), a.implied...), args...)
	return &c
}

func (a *hclogAdapter) Name() string { return a.name }

func (a *hclogAdapter) Named(name string) hclog.Logger {
	if a.name != "" {
		name = a.name + "." + name
	}
	return a.ResetNamed(name)
}

func (a *hclogAdapter) ResetNamed(name string) hclog.Logger {
	c := *a
	c.name = name
	return &c
}

func (a *hclogAdapter) SetLevel(l hclog.Level) { a.floor.Store(int32(l)) }

// GetLevel reports the lowest level that would be logged.
func (a *hclogAdapter) GetLevel() hclog.Level {
	for l := hclog.Trace; l <= hclog.Error; l++ {
		if a.enabled(l) {
			return l
		}
	}
	return hclog.Off
}

func (a *hclogAdapter) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(a.StandardWriter(opts), "", 0)
}

func (a *hclogAdapter) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	if opts == nil {
		opts = &hclog.StandardLoggerOptions{}
	}
	return &stdWriter{a: a, opts: *opts}
}

// stdWriter turns standard-library log lines into records, honouring the
// "[LEVEL] " prefixes hclog's own adapter understands.
type stdWriter struct {
	a    *hclogAdapter
	opts hclog.StandardLoggerOptions
}

var levelPrefixes = []struct {
	prefix string
	level  hclog.Level
}{
	{"[TRACE]", hclog.Trace}, {"[DEBUG]", hclog.Debug}, {"[INFO]", hclog.Info},
	{"[WARN]", hclog.Warn}, {"[ERROR]", hclog.Error}, {"[ERR]", hclog.Error},
}

func (w *stdWriter) Write(p []byte) (int, error) {
	msg := strings.TrimRight(string(p), "\r\n")
	level := hclog.Info
	if w.opts.InferLevels || w.opts.ForceLevel != hclog.NoLevel {
		for _, lp := range levelPrefixes {
			if rest, ok := strings.CutPrefix(msg, lp.prefix); ok {
				msg, level = strings.TrimSpace(rest), lp.level
				break
			}
		}
	}
	if w.opts.ForceLevel != hclog.NoLevel {
		level = w.opts.ForceLevel
	}
	w.a.emit(0, level, msg, nil)
	return len(p), nil
}

var _ hclog.Logger = (*hclogAdapter)(nil)
