#include "compositor/program_supervisor.hpp"

#include "util/choice.hpp"
#include "util/log.hpp"

namespace udefio {

Result<RestartPolicy> parse_restart_policy(const std::string& name)
{
    return parse_choice<RestartPolicy>(
        "--restart", name,
        {{"always", RestartPolicy::always}, {"on-failure", RestartPolicy::on_failure}, {"never", RestartPolicy::never}});
}

Result<std::unique_ptr<ProgramSupervisor>> ProgramSupervisor::start(EventLoop& loop, ChildSpec spec,
                                                                    RestartOptions options, OnEnd on_end,
                                                                    SpawnHooks hooks)
{
    auto supervisor =
        std::make_unique<ProgramSupervisor>(loop, std::move(spec), options, std::move(on_end), std::move(hooks));
    auto timer = loop.make_timer(supervisor->self_.bind([](ProgramSupervisor& s) {
        if (s.stopped_)
            return;
        if (auto r = s.spawn(); !r) {
            UDEFIO_LOG(error, "%s", r.error().message().c_str());
            s.on_exit({false, 127});
        }  // could not start it: counts as a failed run
    }));
    if (!timer)
        return timer.error();
    supervisor->restart_timer_ = std::move(timer).value();
    if (auto r = supervisor->spawn(); !r)
        return r.error();
    return supervisor;
}

ProgramSupervisor::ProgramSupervisor(EventLoop& loop, ChildSpec spec, RestartOptions options, OnEnd on_end,
                                     SpawnHooks hooks)
    : loop_(loop), spec_(std::move(spec)), options_(options), on_end_(std::move(on_end)), hooks_(std::move(hooks)),
      next_backoff_(options.backoff)
{
}

Result<void> ProgramSupervisor::spawn()
{
    ChildSpec spec = spec_;
    if (hooks_.prepare)
        if (auto r = hooks_.prepare(spec); !r)
            return r.error();  // said once, by whoever started it
    auto child = ChildProcess::spawn(loop_, spec, [this](const ChildExit& exit) { on_exit(exit); });
    if (!child)
        return child.error();
    child_ = std::move(child).value();
    if (hooks_.started) {
        if (auto r = hooks_.started(child_->pid()); !r) {
            child_.reset();  // ends it: it cannot run as planned
            return r.error();
        }
    }
    started_ = std::chrono::steady_clock::now();
    UDEFIO_LOG(info, "started %s (pid %d)", spec_.argv.front().c_str(), int(child_->pid()));
    return {};
}

void ProgramSupervisor::on_exit(const ChildExit& exit)
{
    if (stopped_)
        return;
    const auto ran = std::chrono::steady_clock::now() - started_;
    const bool again = options_.policy == RestartPolicy::always ||
                       (options_.policy == RestartPolicy::on_failure && !exit.success());
    if (!again) {
        UDEFIO_LOG(info, "%s %s; not restarting it (--restart %s)", spec_.argv.front().c_str(),
                   exit.describe().c_str(), options_.policy == RestartPolicy::never ? "never" : "on-failure");
        on_end_(exit);
        return;
    }
    if (ran >= options_.healthy)
        next_backoff_ = options_.backoff;  // it had been running fine: a fresh start
    ++restarts_;
    // Said with why: under `always` a clean exit is restarted too, which surprises.
    const char* why = !exit.success() ? "; the wait doubles while it keeps ending within 10 s"
                      : "; --restart always restarts a program that exited 0 too, so that the display does not "
                        "go dark (--restart on-failure lets it end)";
    UDEFIO_LOG(warn, "%s %s after %.1f s; restarting it in %.1f s (restart %u%s)", spec_.argv.front().c_str(),
               exit.describe().c_str(), std::chrono::duration<double>(ran).count(),
               std::chrono::duration<double>(next_backoff_).count(), restarts_, why);
    restart_timer_.arm(next_backoff_);
    next_backoff_ = std::min(next_backoff_ * 2, options_.max_backoff);
}

void ProgramSupervisor::stop()
{
    stopped_ = true;
    restart_timer_.disarm();
    if (child_)
        child_->terminate();
}

}  // namespace udefio
