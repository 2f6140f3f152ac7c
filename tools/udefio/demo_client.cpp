#include "tools/udefio/demo_client.hpp"

#include <chrono>

namespace udefio::cli {

namespace {
constexpr auto kFramePeriod = std::chrono::milliseconds(16);
}  // namespace

Result<void> DemoClient::attach(OutputBinding& binding)
{
    detach();
    DeferredIoState& state = binding.state();
    const BufferLayout& layout = state.layout();
    scene_.emplace(reinterpret_cast<uint32_t*>(state.buffer().data()), layout.width, layout.height, layout.stride);
    stop_ = false;
    thread_ = std::thread(
        [this, &state] { draw_until_stopped(state, state.tracker_kind() == TrackerKind::explicit_damage); });
    return {};
}

void DemoClient::detach()
{
    stop_ = true;
    if (thread_.joinable())
        thread_.join();
    scene_.reset();
}

void DemoClient::draw_until_stopped(DeferredIoState& state, bool report_damage)
{
    const auto start = std::chrono::steady_clock::now();
    auto next = start;
    while (!stop_) {
        const auto painted = scene_->draw(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start));
        if (report_damage) {
            for (const Rect& r : painted)
                state.add_damage(r);
        }
        next += kFramePeriod;
        std::this_thread::sleep_until(next);
    }
}

}  // namespace udefio::cli
