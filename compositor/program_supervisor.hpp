// Keeps a program running (`udefio kiosk`): starts it, and when it ends
// restarts it as the policy says, after a back-off that doubles while it
// keeps dying young (up to a cap) and starts over once it ran long enough.
// Every restart is logged with the reason (its exit status or signal). The
// display keeps the last frame in between: the buffer outlives the program.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "compositor/child_process.hpp"
#include "util/weak_self.hpp"

namespace udefio {

enum class RestartPolicy { always, on_failure, never };
Result<RestartPolicy> parse_restart_policy(const std::string& name);

struct RestartOptions {
    RestartPolicy policy = RestartPolicy::never;
    std::chrono::milliseconds backoff{500};      // the first wait
    std::chrono::milliseconds max_backoff{30'000};
    std::chrono::milliseconds healthy{10'000};   // a run this long starts the back-off over
};

// What changes with each run (each restart): `prepare` completes that run's
// copy of the spec (an fbdev program's supervisor adds its in_child and fds),
// `started` gets the child's pid in the parent right after the spawn. An
// error of either fails that run as a failed start would.
struct SpawnHooks {
    std::function<Result<void>(ChildSpec&)> prepare;
    std::function<Result<void>(pid_t)> started;
};

class ProgramSupervisor {
public:
    // `on_end` runs on the loop thread when the program ended for good (the
    // policy does not restart it), with how it ended.
    using OnEnd = std::function<void(const ChildExit&)>;

    static Result<std::unique_ptr<ProgramSupervisor>> start(EventLoop& loop, ChildSpec spec, RestartOptions options,
                                                            OnEnd on_end, SpawnHooks hooks = {});
    // Ends the program (SIGTERM, then SIGKILL) and restarts nothing. Loop thread.
    void stop();
    unsigned restarts() const { return restarts_; }
    // The running program's process group (it and what it started); 0 between runs.
    pid_t process_group() const { return child_ ? child_->process_group() : 0; }

    ProgramSupervisor(EventLoop& loop, ChildSpec spec, RestartOptions options, OnEnd on_end, SpawnHooks hooks);

private:
    Result<void> spawn();
    void on_exit(const ChildExit& exit);

    EventLoop& loop_;
    const ChildSpec spec_;
    const RestartOptions options_;
    OnEnd on_end_;
    const SpawnHooks hooks_;
    EventSource restart_timer_;
    std::unique_ptr<ChildProcess> child_;
    std::chrono::milliseconds next_backoff_;
    std::chrono::steady_clock::time_point started_{};
    unsigned restarts_ = 0;
    bool stopped_ = false;
    WeakSelf<ProgramSupervisor> self_{*this};  // the restart timer's callback
};

}  // namespace udefio
