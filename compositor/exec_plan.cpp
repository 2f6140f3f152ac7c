#include "compositor/exec_plan.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <map>

#include "util/unique_fd.hpp"

extern char** environ;

namespace udefio {

namespace {

// As execvp looks: each PATH entry in turn (an empty one is the working
// directory), the first regular file we may execute; EACCES if there were
// only ones we may not.
Result<std::string> resolve_in_path(const std::string& name)
{
    if (name.find('/') != std::string::npos)
        return name;
    const char* from_env = std::getenv("PATH");
    const std::string path = from_env ? from_env : "/usr/local/bin:/usr/bin:/bin";
    bool denied = false;
    for (size_t start = 0;;) {
        const size_t end = path.find(':', start);
        const std::string dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
        const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
            if (::access(candidate.c_str(), X_OK) == 0)
                return candidate;
            denied = true;
        }
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    return Error{denied ? EACCES : ENOENT, "start " + name + " (looked in PATH=" + path + ")"};
}

}  // namespace

Result<ExecPlan> ExecPlan::make(const std::vector<std::string>& argv,
                                const std::vector<std::pair<std::string, std::string>>& env,
                                const std::vector<std::pair<int, int>>& fds)
{
    if (argv.empty() || argv.front().empty())
        return plain_error("no program to start");
    auto path = resolve_in_path(argv.front());
    if (!path)
        return path.error();
    ExecPlan plan;
    plan.path_ = std::move(path).value();
    for (const auto& [ours, theirs] : fds) {
        if (::fcntl(ours, F_GETFD) < 0)
            return errno_error("start " + argv.front() + ": fd " + std::to_string(ours) + " to give it");
        if (theirs < 0 || std::count_if(fds.begin(), fds.end(), [t = theirs](auto& f) { return f.second == t; }) > 1)
            return plain_error("start " + argv.front() + ": fd number " + std::to_string(theirs) +
                               " is negative or given twice");
        plan.highest_target_ = std::max(plan.highest_target_, theirs);
    }
    plan.fds_ = fds;
    plan.moved_.resize(fds.size());

    std::map<std::string, std::string> env_map;
    for (char** e = environ; *e; ++e) {
        const std::string entry = *e;
        const size_t eq = entry.find('=');
        if (eq != std::string::npos)
            env_map[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    for (const auto& [key, value] : env)
        env_map[key] = value;
    plan.strings_ = argv;
    for (const auto& [key, value] : env_map)
        plan.strings_.push_back(key + "=" + value);
    // strings_ does not change from here on: the arrays may point into it.
    for (size_t i = 0; i < plan.strings_.size(); ++i)
        (i < argv.size() ? plan.argv_ : plan.envp_).push_back(plan.strings_[i].data());
    plan.argv_.push_back(nullptr);
    plan.envp_.push_back(nullptr);
    return plan;
}

// Only async-signal-safe calls from here to execve, and no allocation.
void ExecPlan::run_in_child(int error_fd, pid_t parent) const
{
    const auto fail = [&error_fd](int code) {
        while (::write(error_fd, &code, sizeof code) < 0 && errno == EINTR) {
        }
        ::_exit(127);
    };
    // The parent's handlers are not the program's (libevent's would write
    // into the parent's signal pipe). What the parent ignores stays ignored,
    // as exec keeps it, except SIGPIPE, which we ignore for our sockets only.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; ++sig) {
        struct sigaction old {};
        if (::sigaction(sig, nullptr, &old) == 0 &&
            (sig == SIGPIPE || (old.sa_handler != SIG_IGN && old.sa_handler != SIG_DFL)))
            ::sigaction(sig, &dfl, nullptr);
    }
    if (::setpgid(0, process_group) != 0)
        fail(errno);
    if (parent_death_signal != 0) {
        if (::prctl(PR_SET_PDEATHSIG, parent_death_signal, 0, 0, 0) != 0)
            fail(errno);
        if (::getppid() != parent)
            ::_exit(127);  // it died before that: nobody to run for or to tell
    }

    // The fds: first every source (and the error pipe) above the highest
    // target, where no dup2 can overwrite it; then each to its number (dup2
    // clears close-on-exec); then nothing else stays open.
    const int top = highest_target_;
    if (const int moved = ::fcntl(error_fd, F_DUPFD_CLOEXEC, top + 1); moved >= 0)
        error_fd = moved;
    else
        fail(errno);
    for (size_t i = 0; i < fds_.size(); ++i) {
        moved_[i] = ::fcntl(fds_[i].first, F_DUPFD_CLOEXEC, top + 1);
        if (moved_[i] < 0)
            fail(errno);
    }
    for (size_t i = 0; i < fds_.size(); ++i) {
        if (::dup2(moved_[i], fds_[i].second) < 0)
            fail(errno);
    }
    for (int fd = 3; fd <= top; ++fd) {
        if (std::none_of(fds_.begin(), fds_.end(), [fd](const auto& f) { return f.second == fd; }))
            ::close(fd);
    }
    if (error_fd != top + 1) {
        if (::dup3(error_fd, top + 1, O_CLOEXEC) < 0)
            fail(errno);
        error_fd = top + 1;
    }
    if (::close_range(unsigned(top) + 2, UINT_MAX, 0) != 0)
        fail(errno);

    if (in_child) {
        if (const int err = in_child(); err != 0)
            fail(err);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(path_.c_str(), argv_.data(), envp_.data());
    fail(errno);
    __builtin_unreachable();
}

Result<pid_t> fork_exec(const ExecPlan& plan)
{
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0)
        return errno_error("pipe2 to start " + plan.path());
    UniqueFd read_end(ends[0]), write_end(ends[1]);
    // No signal handler of ours may run in the child before it resets them.
    sigset_t all, saved;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &saved);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0)
        plan.run_in_child(write_end.get(), parent);
    const int fork_errno = errno;
    ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    write_end.reset();
    if (pid < 0)
        return Error{fork_errno, "fork to start " + plan.path()};

    // Closed unread: exec succeeded. An errno: the step that failed.
    int child_errno = 0;
    ssize_t n;
    do
        n = ::read(read_end.get(), &child_errno, sizeof child_errno);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return pid;
    if (n != sizeof child_errno)
        child_errno = n < 0 ? errno : EIO;
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return Error{child_errno, "start " + plan.path()};
}

}  // namespace udefio
