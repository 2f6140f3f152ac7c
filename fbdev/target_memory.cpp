#include "fbdev/target_memory.hpp"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/mapping.hpp"

namespace udefio::fbdev {
namespace {

// A partial transfer means the rest of the range is not accessible.
int transfer_error(ssize_t done, size_t size)
{
    if (done < 0)
        return errno == ESRCH ? ESRCH : EFAULT;
    return static_cast<size_t>(done) == size ? 0 : EFAULT;
}

}  // namespace

int ProcessMemory::read(uint64_t address, void* out, size_t size)
{
    if (size == 0)
        return 0;
    iovec local{out, size};
    iovec remote{reinterpret_cast<void*>(address), size};
    return transfer_error(::process_vm_readv(pid_, &local, 1, &remote, 1, 0), size);
}

int ProcessMemory::write(uint64_t address, const void* in, size_t size)
{
    if (size == 0)
        return 0;
    if (!checked_ && still_asking_) {
        if (!still_asking_())
            return ESRCH;
        checked_ = true;
    }
    iovec local{const_cast<void*>(in), size};
    iovec remote{reinterpret_cast<void*>(address), size};
    return transfer_error(::process_vm_writev(pid_, &local, 1, &remote, 1, 0), size);
}

std::optional<std::string> ProcessMemory::read_string(uint64_t address, size_t limit, int& error)
{
    std::string out;
    const size_t page = page_size();
    char chunk[4096];
    while (out.size() < limit) {
        // Never cross a page in one read: the next page may be unmapped while
        // the string ends before it.
        const size_t in_page = page - (address % page);
        const size_t n = std::min({in_page, sizeof chunk, limit - out.size()});
        if ((error = read(address, chunk, n)) != 0)
            return std::nullopt;
        if (const void* nul = std::memchr(chunk, '\0', n)) {
            out.append(chunk, static_cast<const char*>(nul) - chunk);
            return out;
        }
        out.append(chunk, n);
        address += n;
    }
    error = ENAMETOOLONG;
    return std::nullopt;
}

}  // namespace udefio::fbdev
