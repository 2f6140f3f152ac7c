// The client reports damage itself (DeferredIoState::add_damage); nothing is
// tracked, so collect() never reports a page and costs nothing.
#pragma once

#include "defio/tracker.hpp"

namespace udefio {

class ExplicitTracker final : public Tracker {
public:
    TrackerKind kind() const override { return TrackerKind::explicit_damage; }
    // add_damage() schedules the flush.
    Result<NextLook> collect(std::vector<uint32_t>&, const PageSet&) override { return NextLook::when_told; }
};

}  // namespace udefio
