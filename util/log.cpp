#include "util/log.hpp"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace udefio {

namespace {
std::atomic<LogLevel> g_level{LogLevel::info};
const char* const kNames[] = {"debug", "info", "warning", "error"};
}  // namespace

void set_log_level(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }
LogLevel log_level() { return g_level.load(std::memory_order_relaxed); }

void log(LogLevel level, const char* fmt, ...)
{
    if (level < log_level() || level == LogLevel::quiet)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    // One fprintf call per line so that lines from several threads do not interleave.
    std::fprintf(stderr, "udefio: %s: %s\n", kNames[static_cast<int>(level)], line);
}

void log_library(LogLevel level, const char* library, const char* fmt, va_list args)
{
    if (level < log_level() || level == LogLevel::quiet)
        return;
    char line[1024];
    std::vsnprintf(line, sizeof line, fmt, args);
    size_t n = std::strlen(line);
    while (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    log(level, "%s: %s", library, line);
}

}  // namespace udefio
