// What each KMS driver is told of a frame's damage.
#include <gtest/gtest.h>

#include "backends/kms/kms_damage_shape.hpp"

using namespace udefio;

TEST(KmsDamageShape, DriversThatMergeGetOneBoundingBox)
{
    for (const char* driver : {"virtio_gpu", "panel-mipi-dbi", "ili9341", "st7735r"})
        EXPECT_EQ(kms_damage_shape(driver).max_rects, 1u) << driver;
}

TEST(KmsDamageShape, OthersGetEveryRectangleUpToDirtyFbsLimit)
{
    for (const char* driver : {"vkms", "bochs-drm", "i915", "amdgpu", "simpledrm", ""})
        EXPECT_EQ(kms_damage_shape(driver).max_rects, 256u) << driver;
}
