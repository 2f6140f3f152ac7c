// Owns one mmap()ed range; unmaps it exactly once.
#pragma once

#include <cstddef>
#include <span>

#include "util/result.hpp"

namespace udefio {

// The size of a page, the granule of every mapping and of write tracking.
size_t page_size();

class Mapping {
public:
    Mapping() = default;
    Mapping(void* addr, size_t length) : addr_(static_cast<std::byte*>(addr)), length_(length) {}
    Mapping(Mapping&& other) noexcept;
    Mapping& operator=(Mapping&& other) noexcept;
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping();

    // mmap(fd, offset, length) with the given protection, always MAP_SHARED.
    static Result<Mapping> map_shared(int fd, size_t length, int prot, off_t offset = 0);
    // Private zero pages, read-write: memory is used only where written.
    static Result<Mapping> map_anonymous(size_t length);

    std::byte* data() const { return addr_; }
    size_t size() const { return length_; }
    std::span<std::byte> bytes() const { return {addr_, length_}; }
    bool valid() const { return addr_ != nullptr; }

private:
    void reset();

    std::byte* addr_ = nullptr;
    size_t length_ = 0;
};

}  // namespace udefio
