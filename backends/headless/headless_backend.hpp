// The headless backend: virtual outputs headless-0, headless-1, ...
// (backends/headless/headless_output.hpp), one per mode asked for. An output
// can be removed and added at run time, as a display is unplugged and plugged
// in: tests drive the session's output handling through it.
#pragma once

#include <vector>

#include "backends/backend.hpp"
#include "backends/headless/headless_output.hpp"

namespace udefio {

struct HeadlessOptions {
    std::vector<OutputMode> modes{OutputMode{1280, 720, 60'000}};  // one output each
    HeadlessSnapshots snapshots;  // with several outputs, each one's files are prefixed with its name
    OutputTransforms transforms;
};

class HeadlessBackend final : public Backend {
public:
    static Result<std::unique_ptr<HeadlessBackend>> create(EventLoop& loop, const HeadlessOptions& options);

    std::string_view name() const override { return "headless"; }
    std::vector<Output*> outputs() override;
    HeadlessOutput* output(const std::string& name);

    // Loop thread. As an unplug: the removed callback runs, then the output is destroyed.
    bool remove_output(const std::string& name);
    // Loop thread. As a plug-in: a new output (named after the highest so far), then the added callback.
    Result<void> add_output(OutputMode mode);

    HeadlessBackend(EventLoop& loop, HeadlessSnapshots snapshots, OutputTransforms transforms);

private:
    EventLoop& loop_;
    const HeadlessSnapshots snapshots_;
    const OutputTransforms transforms_;
    unsigned next_index_ = 0;
    std::vector<std::unique_ptr<HeadlessOutput>> outputs_;
};

}  // namespace udefio
