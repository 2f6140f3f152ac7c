// The built-in demo as the session's main client: a thread that draws the
// scene (a clock, a text box, a moving cursor, now and then a full-screen
// change) into its output's frame with plain stores, as an application
// would. With the explicit tracker it reports what it drew, as a
// damage-aware client does.
#pragma once

#include <atomic>
#include <optional>
#include <thread>

#include "compositor/main_client.hpp"
#include "tools/demo/demo_scene.hpp"

namespace udefio::cli {

class DemoClient final : public MainClient {
public:
    ~DemoClient() override { detach(); }

    std::string name() const override { return "the demo"; }
    std::optional<TrackerKind> tracker() const override { return std::nullopt; }
    Result<void> attach(OutputBinding& binding) override;
    void detach() override;

private:
    void draw_until_stopped(DeferredIoState& state, bool report_damage);

    std::optional<demo::DemoScene> scene_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace udefio::cli
