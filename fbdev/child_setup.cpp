#include "fbdev/child_setup.hpp"

#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <span>

#include "util/scm_rights.hpp"

namespace udefio::fbdev {
namespace {

int run_child_setup(const ChildPlan& plan)
{
    if (plan.console_fd >= 0 && ::dup2(plan.console_fd, 0) < 0)
        return errno;
    uint8_t status = kChildReady;
    if (plan.overlay && plan.overlay->mount_in_child() != 0)
        status = kChildNoOverlay;
    if (plan.no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return errno;
    sock_fprog program{static_cast<unsigned short>(plan.filter.size()),
                       const_cast<sock_filter*>(plan.filter.data())};
    const int listener =
        static_cast<int>(::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &program));
    if (listener < 0)
        return errno;
    // From here on, opens and fb ioctls wait for udefio, which needs the
    // listener first. (send_with_fd only builds a message on the stack.)
    const int sent = send_with_fd(plan.handover_fd, std::as_bytes(std::span(&status, 1)), listener) == 1 ? 0 : errno;
    ::close(listener);
    ::close(plan.handover_fd);
    return sent;
}

}  // namespace

std::function<int()> make_child_setup(std::shared_ptr<const ChildPlan> plan)
{
    return [plan = std::move(plan)] { return run_child_setup(*plan); };
}

}  // namespace udefio::fbdev
