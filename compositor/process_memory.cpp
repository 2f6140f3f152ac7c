#include "compositor/process_memory.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "defio/uapi.hpp"

namespace udefio {

Result<std::shared_ptr<ProcessMemory>> ProcessMemory::open(const PeerProcess& peer)
{
    auto dir = peer.open_proc_dir();
    if (!dir)
        return dir.error();
    UniqueFd pagemap(::openat(dir->get(), "pagemap", O_RDONLY | O_CLOEXEC));
    if (!pagemap)
        return errno_error("open /proc/" + std::to_string(peer.pid()) + "/pagemap");
    UniqueFd maps(::openat(dir->get(), "maps", O_RDONLY | O_CLOEXEC));
    if (!maps)
        return errno_error("open /proc/" + std::to_string(peer.pid()) + "/maps");
    // Both were opened below a directory of the live process: they are its.
    return std::make_shared<ProcessMemory>(std::move(pagemap), std::move(maps));
}

Result<std::optional<ProcessMemory::Vma>> ProcessMemory::query(uint64_t address) const
{
    procmap_query q{};
    q.size = sizeof q;
    q.query_addr = address;  // flags 0: only a mapping that covers it
    if (::ioctl(maps_.get(), PROCMAP_QUERY, &q) == 0)
        return std::optional(Vma{q.vma_start, q.vma_end, q.vma_offset, q.inode, q.dev_major, q.dev_minor,
                                     (q.vma_flags & PROCMAP_QUERY_VMA_SHARED) != 0});
    if (errno == ENOENT)
        return std::optional<Vma>();
    if (errno == ENOTTY || errno == EINVAL)
        return parse_maps(address);
    return errno_error("PROCMAP_QUERY");
}

// The text of maps, read up to the line that covers `address`: its lines
// come in address order.
Result<std::optional<ProcessMemory::Vma>> ProcessMemory::parse_maps(uint64_t address) const
{
    if (::lseek(maps_.get(), 0, SEEK_SET) != 0)
        return errno_error("lseek(/proc/PID/maps)");
    std::string pending;
    char chunk[16384];
    for (;;) {
        const ssize_t n = ::read(maps_.get(), chunk, sizeof chunk);
        if (n < 0)
            return errno_error("read /proc/PID/maps");
        if (n == 0)
            return std::optional<Vma>();
        pending.append(chunk, size_t(n));
        size_t line_start = 0;
        for (size_t eol; (eol = pending.find('\n', line_start)) != std::string::npos; line_start = eol + 1) {
            Vma m{};
            char perms[5] = {};
            unsigned long long start, end, offset, inode;
            unsigned major, minor;
            if (std::sscanf(pending.c_str() + line_start, "%llx-%llx %4s %llx %x:%x %llu", &start, &end, perms,
                            &offset, &major, &minor, &inode) != 7)
                return plain_error("an unexpected line in /proc/PID/maps");
            if (start > address)
                return std::optional<Vma>();
            if (address < end) {
                m = {start, end, offset, inode, major, minor, perms[3] == 's'};
                return std::optional(m);
            }
        }
        pending.erase(0, line_start);
    }
}

ProcessMemory::Where ProcessMemory::find(uint64_t address, uint64_t length, const SharedBuffer& lease) const
{
    char range[64];
    std::snprintf(range, sizeof range, "0x%" PRIx64 "+%" PRIu64, address, length);
    auto found = query(address);
    if (!found)
        return {Placement::unknown, "where its memory is mapped: " + found.error().message()};
    if (!*found)
        return {Placement::elsewhere, std::string(range) + " is not mapped in the client"};
    const Vma& m = **found;
    struct stat st{};
    if (::fstat(lease.fd(), &st) != 0)
        return {Placement::unknown, "fstat of the lease's memfd: " + std::string(std::strerror(errno))};
    if (m.inode != st.st_ino || m.dev_major != major(st.st_dev) || m.dev_minor != minor(st.st_dev) || !m.shared)
        return {Placement::elsewhere, std::string(range) + " is not a shared mapping of this lease"};
    if (m.offset + (address - m.start) != 0 || address + length > m.end)
        return {Placement::elsewhere, std::string(range) + " is not one mapping of the whole lease"};
    return {Placement::lease, range};
}

}  // namespace udefio
