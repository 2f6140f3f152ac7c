// Runs a real program under the fbdev layer for a test, as the session will:
// an FbdevProgram on the loop thread, a fork whose child runs the layer's
// in_child setup and execs, the program's stdout in a pipe we can wait on,
// its stdin a pipe the test closes to let it finish (unless the console
// takes stdin: then the console's keyboard is its input).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "fbdev/fbdev_program.hpp"
#include "tests/fbdev/test_screen.hpp"
#include "tests/loop_thread.hpp"

namespace udefio::test {

class ProgramRun {
public:
    ProgramRun(LoopThread& loop, TestScreen& screen, std::vector<std::string> argv,
               std::vector<std::string> env = {}, fbdev::FbdevOptions options = {})
        : loop_(loop)
    {
        loop.run_on_loop([&] {
            auto program = fbdev::FbdevProgram::create(loop.loop(), screen, options);
            if (!program) {
                error_ = program.error().message();
                return;
            }
            program_ = std::move(program).value();
        });
        if (!program_)
            return;
        int out[2];
        if (::pipe2(out, O_CLOEXEC) != 0) {
            error_ = std::string("pipe2: ") + std::strerror(errno);
            return;
        }
        out_.reset(out[0]);
        UniqueFd out_write(out[1]);
        std::vector<std::string> strings = std::move(argv);
        std::vector<char*> args;
        for (auto& s : strings)
            args.push_back(s.data());
        args.push_back(nullptr);
        std::vector<std::string> env_strings;
        for (char** e = environ; *e; ++e)
            env_strings.push_back(*e);
        for (auto& e : env)
            env_strings.push_back(e);
        std::vector<char*> envp;
        for (auto& s : env_strings)
            envp.push_back(s.data());
        envp.push_back(nullptr);
        auto setup = program_->child_setup();
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(out_write.get(), 1);
            ::setpgid(0, 0);
            const int r = setup();
            if (r != 0)
                ::_exit(100 + r);
            ::execvpe(args[0], args.data(), envp.data());
            ::_exit(127);
        }
        out_write.reset();
        pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
        loop.run_on_loop([&] {
            if (auto started = program_->start(pid_); !started)
                error_ = started.error().message();
        });
    }

    ~ProgramRun()
    {
        if (pid_ > 0 && !exited_ && pidfd_) {
            ::kill(-pid_, SIGKILL);
            wait_exit();
        }
        loop_.run_on_loop([&] { program_.reset(); });
    }

    bool ok() const { return program_ != nullptr && error_.empty(); }
    const std::string& error() const { return error_; }
    pid_t pid() const { return pid_; }
    fbdev::FbdevProgram& program() { return *program_; }
    // `fn(program)` on the loop thread, where the program's state lives.
    template <class Fn>
    auto on_loop(Fn fn)
    {
        decltype(fn(*program_)) result{};
        loop_.run_on_loop([&] { result = fn(*program_); });
        return result;
    }

    // Waits until the program printed `needle` (or ended). True if it did.
    bool wait_output(const std::string& needle, std::chrono::milliseconds limit = std::chrono::milliseconds(20000))
    {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (output_.find(needle) == std::string::npos) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !read_some(static_cast<int>(left.count())))
                return output_.find(needle) != std::string::npos;
        }
        return true;
    }
    // Reads everything until the program closes stdout; returns it.
    const std::string& output()
    {
        while (read_some(20000)) {
        }
        return output_;
    }
    // What it printed so far, without waiting.
    const std::string& output_so_far()
    {
        while (read_some(0)) {
        }
        return output_;
    }
    // "key=value" from the output, once it ended.
    std::string value(const std::string& key)
    {
        output();
        return value_so_far(key);
    }
    // "key=value" from what it printed so far.
    std::string value_so_far(const std::string& key)
    {
        output_so_far();
        const std::string needle = key + "=";
        size_t at = 0;
        while ((at = output_.find(needle, at)) != std::string::npos) {
            if (at == 0 || output_[at - 1] == '\n') {
                const size_t end = output_.find('\n', at);
                return output_.substr(at + needle.size(), end - at - needle.size());
            }
            at += needle.size();
        }
        return "<missing " + key + ">";
    }
    // Its wait status once it ended. (Not waitpid(): the layer may be
    // tracing it for a moment, and a waitpid would take those stops.)
    int wait_exit()
    {
        pollfd p{pidfd_.get(), POLLIN, 0};
        ::poll(&p, 1, -1);
        siginfo_t info{};
        ::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED);
        exited_ = true;
        if (info.si_code == CLD_EXITED)
            return info.si_status << 8;
        return info.si_status & 0x7f;
    }
    void kill(int sig = SIGTERM) { ::kill(pid_, sig); }

private:
    bool read_some(int timeout_ms)
    {
        pollfd p{out_.get(), POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) != 1)
            return false;
        char buffer[4096];
        const ssize_t n = ::read(out_.get(), buffer, sizeof buffer);
        if (n <= 0)
            return false;
        output_.append(buffer, static_cast<size_t>(n));
        return true;
    }

    LoopThread& loop_;
    std::unique_ptr<fbdev::FbdevProgram> program_;
    std::string error_;
    UniqueFd out_;
    UniqueFd pidfd_;
    std::string output_;
    pid_t pid_ = -1;
    bool exited_ = false;
};

}  // namespace udefio::test
