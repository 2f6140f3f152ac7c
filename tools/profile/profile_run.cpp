#include "tools/profile/profile_run.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "util/clock.hpp"

#include "tools/profile/heat_map.hpp"
#include "tools/profile/profile_summary.hpp"
#include "tools/profile/trace_json.hpp"

namespace udefio::profile {
namespace {

constexpr auto kStatusPeriod = std::chrono::milliseconds(500);

}  // namespace

Result<std::unique_ptr<ProfileRun>> ProfileRun::start(EventLoop& loop, std::string dir)
{
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        return errno_error("profile output: mkdir(" + dir + ")");
    if (::access(dir.c_str(), W_OK) != 0)
        return errno_error("profile output " + dir + ": not writable");
    EventSource timer;
    auto cell = std::make_shared<ProfileRun*>(nullptr);
    if (::isatty(STDERR_FILENO)) {
        auto made = loop.make_timer([cell] {
            if (*cell)
                (*cell)->print_status();
        });
        if (!made)
            return made.error();
        timer = std::move(made).value();
    }
    auto run = std::make_unique<ProfileRun>(std::move(dir), std::move(timer));
    *cell = run.get();
    if (run->status_timer_.active())
        run->status_timer_.arm(kStatusPeriod);
    return run;
}

ProfileRun::ProfileRun(std::string dir, EventSource status_timer)
    : dir_(std::move(dir)), status_timer_(std::move(status_timer))
{
}

void ProfileRun::print_status()
{
    const uint64_t total = recorder_->recorded();
    const auto recent = recorder_->recent(120);
    double fps = 0, latency = 0;
    size_t presented = 0;
    if (recent.size() >= 2) {
        const auto span = recent.back().flush_end - recent.front().flush_end;
        if (span.count() > 0)
            fps = double(recent.size() - 1) * 1e9 / double(span.count());
    }
    for (const FrameRecord& f : recent) {
        if (f.presented.count()) {
            latency += double((f.presented - f.first_write).count()) / 1e6;
            ++presented;
        }
    }
    std::fprintf(stderr, "\r\033[Kprofile: %llu frames, %.1f fps, write -> present %.1f ms (mean of the last %zu)",
                 (unsigned long long)total, fps, presented ? latency / double(presented) : 0.0, presented);
    std::fflush(stderr);
    status_shown_ = true;
    status_timer_.arm(kStatusPeriod);
}

Result<std::string> ProfileRun::finish(const FlushStats& stats, uint32_t width, uint32_t height)
{
    if (status_timer_.active())
        status_timer_.disarm();
    if (status_shown_)
        std::fprintf(stderr, "\r\033[K");
    const auto frames = recorder_->frames();
    const auto run = std::chrono::steady_clock::now() - started_;
    std::vector<OutputGap> gaps = recorder_->gaps();
    for (OutputGap& g : gaps) {
        if (!g.end.count()) {
            g.end = monotonic_now();
            g.why += " (to the end)";
        }
    }
    std::string summary = format_summary(summarize(frames, stats.wakeups, run, gaps));
    if (const uint64_t dropped = recorder_->dropped())
        summary += "  (the oldest " + std::to_string(dropped) + " frames were dropped from the record)\n";
    if (auto r = write_text_file(dir_ + "/trace.json", perfetto_trace(frames, gaps)); !r)
        return r.error();
    if (auto r = write_text_file(dir_ + "/frames.csv", frames_csv(frames)); !r)
        return r.error();
    if (auto r = write_text_file(dir_ + "/frames.json", frames_json(frames)); !r)
        return r.error();
    if (auto r = write_png(dir_ + "/heatmap.png", render(count_damage(frames, width, height), width, height)); !r)
        return r.error();
    if (auto r = write_text_file(dir_ + "/summary.txt", summary); !r)
        return r.error();
    summary += "  files: " + dir_ + "/{summary.txt,trace.json,frames.csv,frames.json,heatmap.png}\n";
    return summary;
}

}  // namespace udefio::profile
