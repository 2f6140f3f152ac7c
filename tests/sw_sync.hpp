// sw_sync (drivers/dma-buf/sw_sync.c): a timeline in debugfs whose sync_file
// fences a test signals by hand. Its ioctls are not in a uapi header.
#pragma once

#include <sys/ioctl.h>

#include <cstdint>
#include <cstdio>

namespace udefio::test {

constexpr const char* kSwSyncPath = "/sys/kernel/debug/sync/sw_sync";  // open it: a new timeline

struct sw_sync_create_fence_data {
    uint32_t value;
    char name[32];
    int32_t fence;
};
#define SW_SYNC_IOC_CREATE_FENCE _IOWR('W', 0, struct udefio::test::sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC _IOW('W', 1, uint32_t)

// A sync_file that signals once `timeline` reaches `value`; -1 (errno set) if none.
inline int sw_sync_fence(int timeline, uint32_t value, const char* name)
{
    sw_sync_create_fence_data data{};
    data.value = value;
    std::snprintf(data.name, sizeof data.name, "%s", name);
    return ::ioctl(timeline, SW_SYNC_IOC_CREATE_FENCE, &data) == 0 ? data.fence : -1;
}

// Moves `timeline` on by one, signalling the fences it reached.
inline bool sw_sync_advance(int timeline)
{
    uint32_t one = 1;
    return ::ioctl(timeline, SW_SYNC_IOC_INC, &one) == 0;
}

}  // namespace udefio::test
