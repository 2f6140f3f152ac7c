#include "backends/headless/headless_backend.hpp"

#include <algorithm>

namespace udefio {

Result<std::unique_ptr<HeadlessBackend>> HeadlessBackend::create(EventLoop& loop, const HeadlessOptions& options)
{
    if (options.modes.empty())
        return plain_error("headless backend: no output asked for");
    HeadlessSnapshots snapshots = options.snapshots;
    auto backend = std::make_unique<HeadlessBackend>(loop, snapshots, options.transforms);
    const bool several = options.modes.size() > 1;
    for (const OutputMode& mode : options.modes) {
        const std::string name = "headless-" + std::to_string(backend->next_index_++);
        HeadlessSnapshots own = snapshots;
        if (several)
            own.prefix = name + "-" + own.prefix;
        auto output = HeadlessOutput::create(loop, name, mode, own, options.transforms.of(name));
        if (!output)
            return output.error();
        backend->outputs_.push_back(std::move(output).value());
    }
    return backend;
}

HeadlessBackend::HeadlessBackend(EventLoop& loop, HeadlessSnapshots snapshots, OutputTransforms transforms)
    : loop_(loop), snapshots_(std::move(snapshots)), transforms_(std::move(transforms))
{
}

std::vector<Output*> HeadlessBackend::outputs()
{
    std::vector<Output*> list;
    for (auto& o : outputs_)
        list.push_back(o.get());
    return list;
}

HeadlessOutput* HeadlessBackend::output(const std::string& name)
{
    for (auto& o : outputs_)
        if (o->name() == name)
            return o.get();
    return nullptr;
}

bool HeadlessBackend::remove_output(const std::string& name)
{
    auto it = std::find_if(outputs_.begin(), outputs_.end(), [&](const auto& o) { return o->name() == name; });
    if (it == outputs_.end())
        return false;
    notify_output_removed(**it);
    outputs_.erase(it);
    return true;
}

Result<void> HeadlessBackend::add_output(OutputMode mode)
{
    const std::string name = "headless-" + std::to_string(next_index_++);
    HeadlessSnapshots own = snapshots_;
    own.prefix = name + "-" + own.prefix;
    auto output = HeadlessOutput::create(loop_, name, mode, own, transforms_.of(name));
    if (!output)
        return output.error();
    outputs_.push_back(std::move(output).value());
    notify_output_added(*outputs_.back());
    return {};
}

}  // namespace udefio
