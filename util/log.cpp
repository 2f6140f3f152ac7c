#include "util/log.hpp"

#include <atomic>
#include <cstdarg>
#include <cstdio>

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

}  // namespace udefio
