#include "compositor/socket_listener.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "util/log.hpp"

namespace udefio {

namespace {

constexpr auto kLogEvery = std::chrono::seconds(10);
constexpr auto kPauseAfterError = std::chrono::seconds(1);

const char* kind_of(mode_t mode)
{
    if (S_ISREG(mode))
        return "a regular file";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISLNK(mode))
        return "a symbolic link";
    if (S_ISFIFO(mode))
        return "a FIFO";
    return "a device";
}

// PATH may hold nothing, or a socket; never a file someone cares about.
Result<void> check_replaceable(const std::string& path)
{
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0)
        return errno == ENOENT ? Result<void>() : errno_error("stat " + path);
    if (S_ISSOCK(st.st_mode))
        return {};
    return plain_error("socket " + path + ": " + kind_of(st.st_mode) +
                       " is there, not a socket; only a socket left by a udefio that died is replaced: remove it "
                       "or choose another --socket");
}

Result<gid_t> parse_group(const std::string& text)
{
    if (text.find_first_not_of("0123456789") == std::string::npos) {
        const unsigned long gid = std::strtoul(text.c_str(), nullptr, 10);
        if (text.size() > 10 || gid >= static_cast<unsigned long>(static_cast<gid_t>(-1)))
            return plain_error("--socket-group " + text + ": not a group id");
        return static_cast<gid_t>(gid);
    }
    group entry{};
    group* found = nullptr;
    std::vector<char> buffer(16384);
    const int err = ::getgrnam_r(text.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (err != 0)
        return Error{err, "--socket-group " + text + ": look up the group"};
    if (!found)
        return plain_error("--socket-group " + text + ": no such group");
    return found->gr_gid;
}

Result<mode_t> parse_mode(const std::string& text)
{
    if (text.size() > 4 || text.find_first_not_of("01234567") != std::string::npos)
        return plain_error("--socket-mode " + text + ": not an octal mode such as 0770");
    const unsigned long mode = std::strtoul(text.c_str(), nullptr, 8);
    if (mode > 0777)
        return plain_error("--socket-mode " + text + ": only permission bits (at most 0777)");
    return static_cast<mode_t>(mode);
}

}  // namespace

Result<SocketListener::Options> SocketListener::Options::from_flags(const std::string& group, const std::string& mode)
{
    Options options;
    if (!group.empty()) {
        auto gid = parse_group(group);
        if (!gid)
            return gid.error();
        options.group = *gid;
    }
    if (!mode.empty()) {
        auto bits = parse_mode(mode);
        if (!bits)
            return bits.error();
        options.mode = *bits;
    }
    return options;
}

Result<std::string> SocketListener::default_path()
{
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    if (!runtime || !*runtime)
        return plain_error("XDG_RUNTIME_DIR is not set: give the socket's place with --socket PATH");
    return std::string(runtime) + "/udefio-0";
}

Result<std::unique_ptr<SocketListener>> SocketListener::claim(const std::string& path, const Options& options)
{
    sockaddr_un addr{};
    // PATH.new is bound first (below): it has to fit too.
    if (path.empty() || path.size() + 4 >= sizeof addr.sun_path)
        return plain_error("socket path '" + path + "': empty or longer than " +
                           std::to_string(sizeof addr.sun_path - 1 - 4) + " bytes");
    // Before a lock file is made next to it.
    if (auto r = check_replaceable(path); !r)
        return r.error();
    const std::string lock_path = path + ".lock";
    // O_NOFOLLOW: a link planted at PATH.lock must not make us (root) create
    // or lock a file elsewhere.
    UniqueFd lock(::open(lock_path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!lock)
        return errno_error("open " + lock_path);
    struct stat lock_stat {};
    if (::fstat(lock.get(), &lock_stat) != 0 || !S_ISREG(lock_stat.st_mode))
        return plain_error(lock_path + " is not a regular file");
    if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return plain_error("socket " + path + " belongs to another running udefio (" + lock_path +
                               " is locked): stop it or choose another --socket");
        return errno_error("flock " + lock_path);
    }
    // From here the lock is ours: a failure removes its file, as the
    // destructor does.
    auto fail = [&](Error error) -> Result<std::unique_ptr<SocketListener>> {
        ::unlink(lock_path.c_str());
        return error;
    };
    // Again, now that no udefio can be making it: a socket here is a dead one's.
    if (auto r = check_replaceable(path); !r)
        return fail(r.error());
    // The socket is made ready under a name of its own, PATH.new, and then
    // renamed over PATH: PATH names a dead socket or nothing until it names
    // one that listens, so that a client of a restarting udefio never finds
    // a bound socket that refuses it (ECONNREFUSED between bind and listen).
    const std::string fresh = path + ".new";
    // Left by one that died while making it (the lock was its): also only a socket.
    if (auto r = check_replaceable(fresh); !r)
        return fail(r.error());
    if (::unlink(fresh.c_str()) != 0 && errno != ENOENT)
        return fail(errno_error("remove " + fresh));

    UniqueFd socket(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!socket)
        return fail(errno_error("socket(AF_UNIX, SOCK_SEQPACKET)"));
    // bind() makes the file with the socket's own mode less the umask: never
    // wider than asked, even for a moment. The exact mode follows.
    const mode_t mode = options.effective_mode();
    if (::fchmod(socket.get(), mode) != 0)
        return fail(errno_error("fchmod the socket"));
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, fresh.c_str(), fresh.size() + 1);
    if (::bind(socket.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
        return fail(errno_error("bind " + fresh));
    auto fail_bound = [&](Error error) {
        ::unlink(fresh.c_str());
        return fail(std::move(error));
    };
    if (options.group && ::fchownat(AT_FDCWD, fresh.c_str(), uid_t(-1), *options.group, AT_SYMLINK_NOFOLLOW) != 0)
        return fail_bound(errno_error("chown " + fresh + " to group " + std::to_string(*options.group)));
    if (::fchmodat(AT_FDCWD, fresh.c_str(), mode, AT_SYMLINK_NOFOLLOW) != 0)
        return fail_bound(errno_error("chmod " + fresh));
    if (::listen(socket.get(), 128) != 0)
        return fail_bound(errno_error("listen on " + fresh));
    struct stat before {};
    const bool stale = ::lstat(path.c_str(), &before) == 0;
    if (::rename(fresh.c_str(), path.c_str()) != 0)
        return fail_bound(errno_error("rename " + fresh + " to " + path));
    if (stale)
        UDEFIO_LOG(info, "replaced the stale socket %s", path.c_str());
    return std::make_unique<SocketListener>(path, std::move(lock), std::move(socket));
}

Result<void> SocketListener::serve(EventLoop& loop, OnClient on_client)
{
    loop_ = &loop;
    on_client_ = std::move(on_client);
    spare_ = UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    auto resume = loop.make_timer([this] {
        if (!spare_)
            spare_ = UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (auto r = watch(); !r)
            UDEFIO_LOG(error, "socket %s: %s", path_.c_str(), r.error().message().c_str());
    });
    if (!resume)
        return resume.error();
    resume_ = std::move(resume).value();
    return watch();
}

Result<std::unique_ptr<SocketListener>> SocketListener::listen(EventLoop& loop, const std::string& path,
                                                               OnClient on_client, const Options& options)
{
    auto listener = claim(path, options);
    if (!listener)
        return listener.error();
    if (auto r = (*listener)->serve(loop, std::move(on_client)); !r)
        return r.error();  // the destructor removes the files
    return listener;
}

SocketListener::SocketListener(std::string path, UniqueFd lock, UniqueFd socket)
    : path_(std::move(path)), lock_(std::move(lock)), socket_(std::move(socket))
{
}

SocketListener::~SocketListener()
{
    watch_ = EventSource();
    ::unlink(path_.c_str());
    ::unlink((path_ + ".lock").c_str());
}

Result<void> SocketListener::watch()
{
    auto watch = loop_->watch_readable(socket_.get(), [this] { accept_clients(); });
    if (!watch)
        return watch.error();
    watch_ = std::move(watch).value();
    return {};
}

void SocketListener::accept_clients()
{
    for (;;) {
        UniqueFd client(::accept4(socket_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
        if (client) {
            rlimit limit{};
            if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
                rlim_t(client.get()) + kFdHeadroom >= limit.rlim_cur)
                refused_client();  // closed as `client` goes
            else
                on_client_(std::move(client));
            continue;
        }
        switch (errno) {
        case EAGAIN:
            return;
        case EINTR:
        case ECONNABORTED:
        case EPROTO:
            continue;  // that client gave up; the next one may not have
        case EMFILE:
        case ENFILE: {
            // accept4 takes the fd before it looks at the backlog: EMFILE
            // comes with nobody waiting too.
            const Refusal refusal = refuse_one();
            if (refusal == Refusal::refused)
                continue;
            if (refusal == Refusal::nobody_waiting)
                return;
            pause_accepting(errno);
            return;
        }
        default:
            pause_accepting(errno);
            return;
        }
    }
}

// The spare fd makes room for the client, which is closed at once: it sees
// the connection end instead of waiting, and leaves the backlog.
SocketListener::Refusal SocketListener::refuse_one()
{
    if (!spare_)
        return Refusal::failed;
    spare_.reset();
    const int fd = ::accept4(socket_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    const int accept_errno = errno;
    if (fd >= 0)
        ::close(fd);
    spare_ = UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (fd < 0) {
        errno = accept_errno;
        if (accept_errno == EAGAIN)
            return Refusal::nobody_waiting;
        // That client gave up (go on), or another thread took the freed fd first.
        return accept_errno == EMFILE || accept_errno == ENFILE ? Refusal::failed : Refusal::refused;
    }
    refused_client();
    return Refusal::refused;
}

void SocketListener::refused_client()
{
    ++refused_;
    const auto now = std::chrono::steady_clock::now();
    if (refused_logged_ == 0 || now - last_log_ >= kLogEvery) {
        rlimit limit{};
        ::getrlimit(RLIMIT_NOFILE, &limit);
        const auto count = static_cast<unsigned long long>(refused_ - refused_logged_);
        UDEFIO_LOG(warn, "socket %s: at the limit of open files (RLIMIT_NOFILE %llu, the last %d kept for udefio's "
                   "own): refused %llu client%s (said at most every 10 s)",
                   path_.c_str(), static_cast<unsigned long long>(limit.rlim_cur), kFdHeadroom, count,
                   count == 1 ? "" : "s");
        refused_logged_ = refused_;
        last_log_ = now;
    }
}

// An error a spare fd does not cure (ENOBUFS, ENOMEM, the spare taken):
// watching the listener would only wake the loop again at once.
void SocketListener::pause_accepting(int error)
{
    watch_ = EventSource();
    resume_.arm(kPauseAfterError);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_log_ >= kLogEvery) {
        UDEFIO_LOG(warn, "accept on %s: %s; accepting again in 1 s", path_.c_str(), std::strerror(error));
        last_log_ = now;
    }
}

}  // namespace udefio
