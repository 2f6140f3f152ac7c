// The fbdev unit tests' "program" memory: this process's own; the null page
// stands for an address the program cannot access.
#pragma once

#include <cerrno>
#include <cstring>

#include "fbdev/target_memory.hpp"

namespace udefio::test {

class OwnMemory final : public fbdev::TargetMemory {
public:
    int read(uint64_t address, void* out, size_t size) override
    {
        if (address < 4096)
            return EFAULT;
        std::memcpy(out, reinterpret_cast<const void*>(address), size);
        return 0;
    }
    int write(uint64_t address, const void* in, size_t size) override
    {
        if (address < 4096)
            return EFAULT;
        std::memcpy(reinterpret_cast<void*>(address), in, size);
        return 0;
    }
};

}  // namespace udefio::test
