// --wait-device through the backend factory where no display device comes
// (this machine has no DRM card): the kms backend fails after the wait with
// why, and auto falls back to the next backend. The guest (tests/vm) sees a
// driver loaded late found.
#include <gtest/gtest.h>

#include "backends/backend_factory.hpp"

using namespace udefio;

namespace {

bool have_a_drm_card()
{
    for (const BackendAvailability& b : probe_backends()) {
        if (b.name == "kms")
            return b.available;
    }
    return false;
}

}  // namespace

TEST(WaitDevice, NoCardAfterTheWaitIsAnErrorThatSaysWhy)
{
    if (have_a_drm_card())
        GTEST_SKIP() << "this machine has a DRM card";
    auto loop = EventLoop::create().value();
    BackendOptions options;
    options.name = "kms";
    options.kms.wait_device = std::chrono::milliseconds(200);
    auto kms = make_backend(*loop, options);
    ASSERT_FALSE(kms.ok());
    EXPECT_NE(kms.error().message().find("no display device after waiting 0.2 s (--wait-device): no DRM device"),
              std::string::npos)
        << kms.error().message();

    options.name = "auto";
    options.headless.modes = {OutputMode{320, 240, 60'000}};
    auto fallback = make_backend(*loop, options);
    ASSERT_TRUE(fallback.ok()) << fallback.error().message();
    EXPECT_EQ((*fallback)->name(), "headless");
}
