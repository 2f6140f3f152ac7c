#include "compositor/output_binding.hpp"

namespace udefio {

Result<std::unique_ptr<OutputBinding>> OutputBinding::create(Output& output, uint32_t id,
                                                             const BindingOptions& options)
{
    const OutputMode mode = output.mode();
    const Size frame = output.frame_size();  // turned, when the output is
    auto layout = BufferLayout::make(uint32_t(frame.width), uint32_t(frame.height), options.stride, options.format);
    if (!layout)
        return Error{layout.error().code, "output " + output.name() + ": " + layout.error().what};
    DeferredIoOptions defio = options.defio;
    defio.poll_interval = mode.refresh_period();
    if (options.delay_is_refresh_period)
        defio.delay = mode.refresh_period();
    auto state = DeferredIoState::create(*layout, defio);
    if (!state)
        return Error{state.error().code, "output " + output.name() + ": " + state.error().what};
    if (options.recorder)
        (*state)->set_recorder(options.recorder);
    auto target = LeaseTarget::create(*state);
    if (!target)
        return target.error();
    if (auto r = output.attach(*state); !r)
        return r.error();
    return std::make_unique<OutputBinding>(output, id, std::move(state).value(), std::move(target).value());
}

OutputBinding::OutputBinding(Output& output, uint32_t id, std::shared_ptr<DeferredIoState> state,
                             std::unique_ptr<LeaseTarget> target)
    : output_(output), id_(id), name_(output.name()), state_(std::move(state)), target_(std::move(target))
{
}

OutputBinding::~OutputBinding()
{
    target_.reset();  // no lease uses it now: the server revoked them
    detach_output();
}

void OutputBinding::detach_output()
{
    if (!attached_)
        return;
    attached_ = false;
    output_.detach();
}

ServedOutput OutputBinding::served() const { return {id_, name_, output_.mode().refresh_mhz, target_.get()}; }

}  // namespace udefio
