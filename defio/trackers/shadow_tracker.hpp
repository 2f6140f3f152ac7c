// VNC-style: keep a copy of the buffer and compare page by page. Always works,
// costs a full read of the buffer per collect: the baseline the others beat.
#pragma once

#include <memory>
#include <span>

#include "defio/tracker.hpp"

namespace udefio {

class ShadowTracker final : public Tracker {
public:
    explicit ShadowTracker(std::span<std::byte> range);

    TrackerKind kind() const override { return TrackerKind::shadow; }
    // A page changed while being compared is reported now or at the next collect:
    // the shadow takes the page as it is after the compare found a difference.
    Result<NextLook> collect(std::vector<uint32_t>& written_pages, const PageSet& keep_open) override;

private:
    std::span<std::byte> range_;
    std::unique_ptr<std::byte[]> shadow_;
};

}  // namespace udefio
