// Seed 002: flags that may be set under the shared lock are an allow-list.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "defio/buffer_flags.hpp"

using namespace udefio;

TEST(Seed002AtomicFlags, AllowListedFlagSetUnderSharedLock)
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

TEST(Seed002AtomicFlags, FlagOutsideAllowListIsRefusedUnderSharedLock)
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

TEST(Seed002AtomicFlags, AnyFlagUnderExclusiveLock)
{
    std::shared_mutex lock;
    BufferFlags flags;
    std::unique_lock exclusive(lock);
    flags.set(kFlagRevoked | kFlagScanout, exclusive);
    EXPECT_TRUE(flags.test(kFlagRevoked | kFlagScanout));
    flags.clear(kFlagScanout, exclusive);
    EXPECT_FALSE(flags.test(kFlagScanout));
    EXPECT_TRUE(flags.test(kFlagRevoked));
}
