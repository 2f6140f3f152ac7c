#include "util/mapping.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <utility>

namespace udefio {

size_t page_size()
{
    static const size_t size = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    return size;
}

Mapping::Mapping(Mapping&& other) noexcept
    : addr_(std::exchange(other.addr_, nullptr)), length_(std::exchange(other.length_, 0))
{
}

Mapping& Mapping::operator=(Mapping&& other) noexcept
{
    if (this != &other) {
        reset();
        addr_ = std::exchange(other.addr_, nullptr);
        length_ = std::exchange(other.length_, 0);
    }
    return *this;
}

Mapping::~Mapping() { reset(); }

void Mapping::reset()
{
    if (addr_)
        ::munmap(addr_, length_);
    addr_ = nullptr;
    length_ = 0;
}

Result<Mapping> Mapping::map_shared(int fd, size_t length, int prot, off_t offset)
{
    void* addr = ::mmap(nullptr, length, prot, MAP_SHARED, fd, offset);
    if (addr == MAP_FAILED)
        return errno_error("mmap(fd " + std::to_string(fd) + ", " + std::to_string(length) +
                           " bytes at offset " + std::to_string(offset) + ")");
    return Mapping(addr, length);
}

Result<Mapping> Mapping::map_anonymous(size_t length)
{
    void* addr = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (addr == MAP_FAILED)
        return errno_error("mmap(anonymous, " + std::to_string(length) + " bytes)");
    return Mapping(addr, length);
}

}  // namespace udefio
