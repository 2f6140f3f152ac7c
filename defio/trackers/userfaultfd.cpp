#include "defio/trackers/userfaultfd.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "util/mapping.hpp"
#include "defio/uapi.hpp"

namespace udefio {
namespace {

Result<UniqueFd> create_uffd()
{
    const int flags = O_CLOEXEC | O_NONBLOCK;
    UniqueFd fd(static_cast<int>(::syscall(SYS_userfaultfd, flags | UFFD_USER_MODE_ONLY)));
    if (fd)
        return fd;
    const int syscall_errno = errno;
    UniqueFd dev(::open("/dev/userfaultfd", O_RDWR | O_CLOEXEC));
    if (dev) {
        fd.reset(::ioctl(dev.get(), USERFAULTFD_IOC_NEW, flags));
        if (fd)
            return fd;
    }
    return Error{syscall_errno, "userfaultfd(UFFD_USER_MODE_ONLY) failed (" + std::string(std::strerror(syscall_errno)) +
                                    ") and so did /dev/userfaultfd (" + std::strerror(errno) +
                                    "); check vm.unprivileged_userfaultfd, seccomp and /dev/userfaultfd's permissions"};
}

}  // namespace

Result<Userfaultfd> Userfaultfd::open_for_write_protect(std::span<std::byte> range, uint64_t features)
{
    auto fd = create_uffd();
    if (!fd)
        return fd.error();

    uffdio_api api{};
    api.api = UFFD_API;
    api.features = features;
    if (::ioctl(fd->get(), UFFDIO_API, &api) != 0)
        return errno_error("UFFDIO_API with features " + std::to_string(features) +
                           " (this kernel lacks some of them)");
    if ((api.features & features) != features)
        return plain_error("userfaultfd: the kernel does not offer all required features");

    uffdio_register reg{};
    reg.range.start = reinterpret_cast<uintptr_t>(range.data());
    reg.range.len = range.size();
    reg.mode = UFFDIO_REGISTER_MODE_WP;
    if (::ioctl(fd->get(), UFFDIO_REGISTER, &reg) != 0)
        return errno_error("UFFDIO_REGISTER(MODE_WP) of the buffer (write-protect on shmem needs 5.19+)");

    Userfaultfd uffd(std::move(fd).value(), range, page_size());
    if (auto wp = uffd.write_protect(0, range.size() / uffd.page_size_, true); !wp)
        return wp.error();
    return uffd;
}

Userfaultfd::Userfaultfd(UniqueFd fd, std::span<std::byte> range, size_t page_size)
    : fd_(std::move(fd)), range_(range), page_size_(page_size)
{
}

Result<void> Userfaultfd::write_protect(size_t first_page, size_t count, bool protect) const
{
    uffdio_writeprotect wp{};
    wp.range.start = reinterpret_cast<uintptr_t>(range_.data() + first_page * page_size_);
    wp.range.len = count * page_size_;
    wp.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0;
    if (::ioctl(fd_.get(), UFFDIO_WRITEPROTECT, &wp) != 0)
        return errno_error(protect ? "UFFDIO_WRITEPROTECT (protect)" : "UFFDIO_WRITEPROTECT (resolve)");
    return {};
}

}  // namespace udefio
