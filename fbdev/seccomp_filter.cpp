#include "fbdev/seccomp_filter.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "util/unique_fd.hpp"

namespace udefio::fbdev {
namespace {

struct FilterDeleter {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};
using FilterCtx = std::unique_ptr<void, FilterDeleter>;

Error seccomp_error(int rc, const char* what) { return Error{-rc, std::string("libseccomp: ") + what}; }

}  // namespace

Result<void> check_user_notification()
{
    uint32_t action = SECCOMP_RET_USER_NOTIF;
    if (::syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0)
        return {};
    const int error = errno;
    return Error{error, "fbdev: this kernel offers no seccomp user notification (SECCOMP_RET_USER_NOTIF, Linux 5.0, "
                        "through which udefio answers a program's /dev/fb0): unmodified fbdev programs cannot run "
                        "here, programs that draw through udefio's socket (libudefio-client) can; "
                        "seccomp(SECCOMP_GET_ACTION_AVAIL)"};
}

Result<std::vector<sock_filter>> build_fbdev_filter()
{
    FilterCtx ctx(seccomp_init(SCMP_ACT_ALLOW));
    if (!ctx)
        return plain_error("libseccomp: seccomp_init failed");
    // A 32-bit program is not stopped, only left without a framebuffer.
    if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW); rc < 0)
        return seccomp_error(rc, "allowing other architectures");

    for (int nr : {SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(openat2), SCMP_SYS(creat), SCMP_SYS(ftruncate),
                   SCMP_SYS(fallocate)}) {
        if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_NOTIFY, nr, 0); rc < 0)
            return seccomp_error(rc, "a notify rule");
    }
    // The request's type byte: 'F' fb, 'K' keyboard (KD*), 'V' VT.
    for (unsigned type : {'F', 'K', 'V'}) {
        if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_NOTIFY, SCMP_SYS(ioctl), 1,
                                      SCMP_A1_32(SCMP_CMP_MASKED_EQ, 0xff00, type << 8));
            rc < 0)
            return seccomp_error(rc, "the ioctl rule");
    }
    // MAP_SHARED (or _VALIDATE) of a file, not replayed by udefio.
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_NOTIFY, SCMP_SYS(mmap), 1,
                                  SCMP_A3_32(SCMP_CMP_MASKED_EQ, MAP_SHARED | MAP_ANONYMOUS | kReplayedMmapFlag,
                                          MAP_SHARED));
        rc < 0)
        return seccomp_error(rc, "the mmap rule");
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(io_uring_setup), 0); rc < 0)
        return seccomp_error(rc, "the io_uring rule");

    // libseccomp 2.5 exports to an fd only.
    UniqueFd out(::memfd_create("udefio-seccomp-bpf", MFD_CLOEXEC));
    if (!out)
        return errno_error("memfd_create for the seccomp program");
    if (int rc = seccomp_export_bpf(ctx.get(), out.get()); rc < 0)
        return seccomp_error(rc, "exporting the BPF program");
    struct stat st {};
    if (::fstat(out.get(), &st) != 0)
        return errno_error("fstat of the exported BPF program");
    std::vector<sock_filter> program(static_cast<size_t>(st.st_size) / sizeof(sock_filter));
    const size_t bytes = program.size() * sizeof(sock_filter);
    if (program.empty() || ::pread(out.get(), program.data(), bytes, 0) != static_cast<ssize_t>(bytes))
        return plain_error("libseccomp exported an empty or unreadable BPF program");
    return program;
}

}  // namespace udefio::fbdev
