// Flags that may be set under the shared lock are an allow-list (as in "mm: add
// atomic VMA flags and set VM_MAYBE_GUARD as such").
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "defio/buffer_flags.hpp"

using namespace udefio;

TEST(SharedLockFlagAllowList, AllowListedFlagSetUnderSharedLock)
{
    std::shared_mutex lock;
    BufferFlags flags;
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            for (int j = 0; j < 1000; ++j) {
                std::shared_lock shared(lock);
                ASSERT_TRUE(flags.set_shared(kFlagWritten, shared).ok());
            }
        });
    for (auto& t : threads)
        t.join();
    EXPECT_TRUE(flags.test(kFlagWritten));
}

TEST(SharedLockFlagAllowList, SetSharedSaysWhetherTheFlagWasSetBefore)
{
    // notify_write arms the flush timer only for the first write after a flush began.
    std::shared_mutex lock;
    BufferFlags flags;
    std::shared_lock shared(lock);
    EXPECT_EQ(flags.set_shared(kFlagWritten, shared).value() & kFlagWritten, 0u);
    EXPECT_EQ(flags.set_shared(kFlagWritten, shared).value() & kFlagWritten, kFlagWritten);
}

TEST(SharedLockFlagAllowList, FlagOutsideAllowListIsRefusedUnderSharedLock)
{
    std::shared_mutex lock;
    BufferFlags flags;
    // Debug builds assert (the caller has a bug); release builds refuse and log.
    EXPECT_DEBUG_DEATH(
        {
            std::shared_lock shared(lock);
            auto r = flags.set_shared(kFlagRevoked, shared);
            EXPECT_FALSE(r.ok());
            EXPECT_NE(r.error().message().find("may not be set under the shared lock"), std::string::npos);
        },
        "allow-list");
    EXPECT_FALSE(flags.test(kFlagRevoked));
}

TEST(SharedLockFlagAllowList, AnyFlagUnderExclusiveLock)
{
    std::shared_mutex lock;
    BufferFlags flags;
    std::unique_lock exclusive(lock);
    flags.set(kFlagRevoked | kFlagWritten, exclusive);
    EXPECT_TRUE(flags.test(kFlagRevoked | kFlagWritten));
    flags.clear(kFlagWritten, exclusive);
    EXPECT_FALSE(flags.test(kFlagWritten));
    EXPECT_TRUE(flags.test(kFlagRevoked));
}
