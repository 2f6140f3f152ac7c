// A userfaultfd registered for write-protect tracking of one range, as the
// two uffd trackers use it. Creation tries the syscall with UFFD_USER_MODE_ONLY
// (allowed with vm.unprivileged_userfaultfd=0) and then /dev/userfaultfd, and
// its errors say which of those failed and why.
#pragma once

#include <cstdint>
#include <span>

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace udefio {

class Userfaultfd {
public:
    // `features`: UFFD_FEATURE_* the tracker cannot work without.
    static Result<Userfaultfd> open_for_write_protect(std::span<std::byte> range, uint64_t features);

    int fd() const { return fd_.get(); }

    // Write-protects (or unprotects) [first_page, first_page + count).
    // Unprotecting wakes threads blocked on those pages.
    Result<void> write_protect(size_t first_page, size_t count, bool protect) const;

private:
    Userfaultfd(UniqueFd fd, std::span<std::byte> range, size_t page_size);

    UniqueFd fd_;
    std::span<std::byte> range_;
    size_t page_size_;
};

}  // namespace udefio
