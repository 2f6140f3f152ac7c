// A framebuffer in a memfd, mapped MAP_SHARED in this process, whose fd can be
// handed to other processes. Sealed F_SEAL_GROW | F_SEAL_SEAL: nobody can grow
// it, and nobody can add F_SEAL_SHRINK to defeat revoke().
#pragma once

#include <cstdint>
#include <span>

#include "defio/buffer_layout.hpp"
#include "util/mapping.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace udefio {

class SharedBuffer {
public:
    static Result<SharedBuffer> create(const BufferLayout& layout, const char* name = "udefio-frame");

    const BufferLayout& layout() const { return layout_; }
    int fd() const { return fd_.get(); }
    std::byte* data() const { return mapping_.data(); }
    size_t size() const { return mapping_.size(); }
    std::span<std::byte> bytes() const { return mapping_.bytes(); }
    uint32_t* row(uint32_t y) const
    {
        return reinterpret_cast<uint32_t*>(data() + size_t{y} * layout_.stride);
    }

    // A new fd for the same memory, e.g. to send with SCM_RIGHTS.
    Result<UniqueFd> dup_fd() const;

    // Truncates the memfd to 0: every mapping of it, in every process, gets
    // SIGBUS on its next access (as after "fbdev: defio: Protect against
    // device/module removal"). Our own
    // mapping too, so the caller must have stopped everything that reads it.
    Result<void> revoke();
    bool revoked() const { return revoked_; }

private:
    SharedBuffer(BufferLayout layout, UniqueFd fd, Mapping mapping)
        : layout_(layout), fd_(std::move(fd)), mapping_(std::move(mapping))
    {
    }

    BufferLayout layout_;
    UniqueFd fd_;
    Mapping mapping_;
    bool revoked_ = false;
};

}  // namespace udefio
