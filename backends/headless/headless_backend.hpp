// The headless backend: one virtual output (backends/headless/headless_output.hpp).
#pragma once

#include "backends/backend.hpp"
#include "backends/headless/headless_output.hpp"

namespace udefio {

class HeadlessBackend final : public Backend {
public:
    static Result<std::unique_ptr<HeadlessBackend>> create(EventLoop& loop, OutputMode mode,
                                                           HeadlessSnapshots snapshots);

    std::string_view name() const override { return "headless"; }
    std::vector<Output*> outputs() override { return {output_.get()}; }
    HeadlessOutput& output() { return *output_; }

    explicit HeadlessBackend(std::unique_ptr<HeadlessOutput> output) : output_(std::move(output)) {}

private:
    std::unique_ptr<HeadlessOutput> output_;
};

}  // namespace udefio
