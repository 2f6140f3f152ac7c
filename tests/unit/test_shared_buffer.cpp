#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include "defio/shared_buffer.hpp"

using namespace udefio;

namespace {
SharedBuffer make_buffer(uint32_t w = 64, uint32_t h = 64)
{
    auto buffer = SharedBuffer::create(BufferLayout::make(w, h).value());
    EXPECT_TRUE(buffer.ok()) << buffer.error().message();
    return std::move(buffer).value();
}
}  // namespace

TEST(SharedBuffer, IsSealedAgainstGrowAndFurtherSeals)
{
    SharedBuffer buffer = make_buffer();
    const int seals = fcntl(buffer.fd(), F_GET_SEALS);
    EXPECT_TRUE(seals & F_SEAL_GROW);
    EXPECT_TRUE(seals & F_SEAL_SEAL);
    EXPECT_NE(ftruncate(buffer.fd(), off_t(buffer.size() * 2)), 0);
    // Nobody can add F_SEAL_SHRINK to block revoke.
    EXPECT_NE(fcntl(buffer.fd(), F_ADD_SEALS, F_SEAL_SHRINK), 0);
}

TEST(SharedBuffer, MappingsShareMemory)
{
    SharedBuffer buffer = make_buffer();
    auto dup = buffer.dup_fd();
    ASSERT_TRUE(dup.ok());
    void* other = mmap(nullptr, buffer.size(), PROT_READ, MAP_SHARED, dup->get(), 0);
    ASSERT_NE(other, MAP_FAILED);
    buffer.row(3)[5] = 0x00abcdef;
    EXPECT_EQ(static_cast<uint32_t*>(other)[3 * 64 + 5], 0x00abcdefu);
    munmap(other, buffer.size());
}

TEST(SharedBuffer, RevokeTruncatesToZero)
{
    SharedBuffer buffer = make_buffer();
    ASSERT_TRUE(buffer.revoke().ok());
    EXPECT_TRUE(buffer.revoked());
    EXPECT_EQ(lseek(buffer.fd(), 0, SEEK_END), 0);
}
