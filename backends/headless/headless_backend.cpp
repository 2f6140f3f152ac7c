#include "backends/headless/headless_backend.hpp"

namespace udefio {

Result<std::unique_ptr<HeadlessBackend>> HeadlessBackend::create(EventLoop& loop, OutputMode mode,
                                                                 HeadlessSnapshots snapshots)
{
    auto output = HeadlessOutput::create(loop, mode, std::move(snapshots));
    if (!output)
        return output.error();
    return std::make_unique<HeadlessBackend>(std::move(output).value());
}

}  // namespace udefio
