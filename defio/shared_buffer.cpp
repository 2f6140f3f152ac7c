#include "defio/shared_buffer.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

namespace udefio {

Result<SharedBuffer> SharedBuffer::create(const BufferLayout& layout, const char* name)
{
    UniqueFd fd(::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!fd)
        return errno_error(std::string("memfd_create(") + name + ")");
    const size_t size = layout.mapped_bytes();
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0)
        return errno_error("ftruncate(memfd " + std::string(name) + ", " + std::to_string(size) + ")");
    if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SEAL) != 0)
        return errno_error("fcntl(F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SEAL) on memfd " + std::string(name));
    auto mapping = Mapping::map_shared(fd.get(), size, PROT_READ | PROT_WRITE);
    if (!mapping)
        return mapping.error();
    // A transparent huge page would become the tracking granule.
    ::madvise(mapping->data(), size, MADV_NOHUGEPAGE);
    return SharedBuffer(layout, std::move(fd), std::move(mapping).value());
}

Result<UniqueFd> SharedBuffer::dup_fd() const
{
    UniqueFd copy(::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0));
    if (!copy)
        return errno_error("fcntl(F_DUPFD_CLOEXEC) on the frame memfd");
    return copy;
}

Result<void> SharedBuffer::revoke()
{
    if (::ftruncate(fd_.get(), 0) != 0)
        return errno_error("ftruncate(frame memfd, 0) to revoke its mappings");
    revoked_ = true;
    return {};
}

}  // namespace udefio
