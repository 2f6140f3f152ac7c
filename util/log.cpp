#include "util/log.hpp"

#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace udefio {

namespace {

enum class Form { plain, timed, journal };

std::atomic<LogLevel> g_level{LogLevel::info};
std::atomic<Form> g_form{Form::plain};
const char* const kNames[] = {"debug", "info", "warning", "error"};
const int kPriorities[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR};

// systemd's test (sd_journal_stream_fd's counterpart): the variable alone is
// inherited by programs whose stderr went elsewhere.
bool stderr_is_the_journal()
{
    const char* stream = std::getenv("JOURNAL_STREAM");
    unsigned long long device = 0, inode = 0;
    if (!stream || std::sscanf(stream, "%llu:%llu", &device, &inode) != 2)
        return false;
    struct stat st {};
    return ::fstat(STDERR_FILENO, &st) == 0 && st.st_dev == device && st.st_ino == inode;
}

}  // namespace

void init_log(LogLevel level)
{
    set_log_level(level);
    g_form.store(stderr_is_the_journal() ? Form::journal : level == LogLevel::debug ? Form::timed : Form::plain,
                 std::memory_order_relaxed);
}

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
    const int index = static_cast<int>(level);
    // One fprintf call per line so that lines from several threads do not interleave.
    switch (g_form.load(std::memory_order_relaxed)) {
    case Form::journal:
        std::fprintf(stderr, "<%d>%s: %s\n", kPriorities[index], kNames[index], line);
        break;
    case Form::timed: {
        timespec now{};
        ::clock_gettime(CLOCK_REALTIME, &now);
        tm local{};
        ::localtime_r(&now.tv_sec, &local);
        char clock[16];
        std::strftime(clock, sizeof clock, "%H:%M:%S", &local);
        std::fprintf(stderr, "udefio: %s.%03ld %s: %s\n", clock, now.tv_nsec / 1'000'000, kNames[index], line);
        break;
    }
    case Form::plain:
        std::fprintf(stderr, "udefio: %s: %s\n", kNames[index], line);
        break;
    }
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
