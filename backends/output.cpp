#include "backends/output.hpp"

namespace udefio {

Output::~Output() { detach_state(); }

Result<void> Output::attach(std::shared_ptr<DeferredIoState> state)
{
    const OutputMode m = mode();
    const BufferLayout& layout = state->layout();
    if (layout.width != m.width || layout.height != m.height)
        return plain_error("buffer " + layout.describe() + " does not fit output " + name() + " (" +
                           std::to_string(m.width) + "x" + std::to_string(m.height) + ")");
    if (auto r = state->attach(*this); !r)
        return r;
    state_ = std::move(state);
    return {};
}

Result<void> Output::snapshot_png(const std::string& path) const
{
    return plain_error("output " + name() + " cannot write snapshots (" + path + ")");
}

void Output::detach_state()
{
    if (state_)
        state_->detach();
}

}  // namespace udefio
