// The guard the KMS output copies into device memory with: a SIGBUS inside
// it (the device was unplugged) becomes a `false`, anything else is untouched.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "defio/sigbus_guard.hpp"
#include "defio/shared_buffer.hpp"

using namespace udefio;

namespace {

TEST(SigbusGuard, CopyIntoLiveMemorySucceeds)
{
    auto buffer = SharedBuffer::create(BufferLayout::make(64, 64).value()).value();
    EXPECT_TRUE(run_guarding_sigbus([&] { std::memset(buffer.data(), 1, buffer.size()); }));
}

TEST(SigbusGuard, CopyIntoRevokedMemoryReturnsFalse)
{
    auto buffer = SharedBuffer::create(BufferLayout::make(64, 64).value()).value();
    ASSERT_TRUE(buffer.revoke().ok());
    EXPECT_FALSE(run_guarding_sigbus([&] { std::memset(buffer.data(), 1, buffer.size()); }));
    // And the guard is gone afterwards: the thread is not stuck in it.
    EXPECT_TRUE(run_guarding_sigbus([] {}));
}

TEST(SigbusGuard, SigbusOutsideTheGuardStillKills)
{
    auto buffer = SharedBuffer::create(BufferLayout::make(64, 64).value()).value();
    (void)run_guarding_sigbus([] {});  // handler installed
    ASSERT_TRUE(buffer.revoke().ok());
    EXPECT_EXIT(std::memset(buffer.data(), 1, buffer.size()), testing::KilledBySignal(SIGBUS), "");
}

}  // namespace
