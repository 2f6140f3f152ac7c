// The memory of the process whose system call is being answered. Reads and
// writes return 0 or an errno: EFAULT for an address the process cannot
// access, as copy_from_user/copy_to_user give the kernel.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace udefio::fbdev {

class TargetMemory {
public:
    virtual ~TargetMemory() = default;
    virtual int read(uint64_t address, void* out, size_t size) = 0;
    virtual int write(uint64_t address, const void* in, size_t size) = 0;

    template <class T>
    int read_struct(uint64_t address, T& out) { return read(address, &out, sizeof out); }
    template <class T>
    int write_struct(uint64_t address, const T& in) { return write(address, &in, sizeof in); }
};

// Another process's memory through process_vm_readv/writev (needs the same
// permission as ptrace: udefio started the program, or is root).
// `still_asking` is checked before the first write: the task that asked is
// still waiting, so `pid` was not reused by another process meanwhile.
class ProcessMemory final : public TargetMemory {
public:
    explicit ProcessMemory(pid_t pid, std::function<bool()> still_asking = {})
        : pid_(pid), still_asking_(std::move(still_asking))
    {
    }
    int read(uint64_t address, void* out, size_t size) override;
    int write(uint64_t address, const void* in, size_t size) override;
    // A NUL-terminated string of at most `limit` bytes (a path): nullopt with
    // `error` set (EFAULT, ENAMETOOLONG) when it cannot be read whole.
    std::optional<std::string> read_string(uint64_t address, size_t limit, int& error);

private:
    pid_t pid_;
    std::function<bool()> still_asking_;
    bool checked_ = false;
};

}  // namespace udefio::fbdev
