// One-line logs on stderr. The level threshold is set once at start-up
// (--verbose / --quiet); logging is thread-safe. The form of a line follows
// where stderr goes, decided by init_log():
// - the journal (JOURNAL_STREAM names stderr's device and inode, as systemd
//   sets it for a service): "<N>level: message", N the syslog priority,
//   which journald keeps (and colours) instead of printing it;
// - anywhere else: "udefio: level: message", and with --verbose the time of
//   day first ("udefio: 12:34:56.789 info: ...").
#pragma once

#include <cstdarg>

namespace udefio {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3, quiet = 4 };

// The threshold and the form of the lines (udefio's start-up).
void init_log(LogLevel level);
// The threshold only (tools and tests: plain lines).
void set_log_level(LogLevel level);
LogLevel log_level();

void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
// A library's own log line (libinput's, xkbcommon's: they end in a newline),
// as "<library>: <message>", for the log callbacks they take.
void log_library(LogLevel level, const char* library, const char* fmt, va_list args)
    __attribute__((format(printf, 3, 0)));

#define UDEFIO_LOG(level, ...) ::udefio::log(::udefio::LogLevel::level, __VA_ARGS__)

}  // namespace udefio
