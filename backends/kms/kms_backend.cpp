#include "backends/kms/kms_backend.hpp"

#include <xf86drm.h>

#include <cstring>

#include "defio/log.hpp"

namespace udefio {

Result<std::unique_ptr<KmsBackend>> KmsBackend::create(EventLoop& loop, const KmsOptions& options)
{
    auto device = DrmDevice::open(options.device, options.atomic);
    if (!device)
        return device.error();
    auto pipes = find_pipes(device->fd(), device->path(), options.mode);
    if (!pipes)
        return pipes.error();
    std::vector<std::unique_ptr<KmsOutput>> outputs;
    for (const KmsPipe& pipe : *pipes) {
        auto output = KmsOutput::create(*device, pipe);
        if (!output)
            return output.error();
        UDEFIO_LOG(info, "%s: output %s, %ux%u, FB_DAMAGE_CLIPS %s", device->path().c_str(), pipe.name.c_str(),
                   pipe.mode.hdisplay, pipe.mode.vdisplay,
                   (*output)->damage_clips_supported() ? "yes" : "no (full-plane updates)");
        outputs.push_back(std::move(output).value());
    }
    auto backend = std::make_unique<KmsBackend>(std::move(device).value(), std::move(outputs));
    auto watch = loop.watch_readable(backend->device_.fd(), [b = backend.get()] { b->dispatch_events(); });
    if (!watch)
        return watch.error();
    backend->drm_events_ = std::move(watch).value();
    return backend;
}

KmsBackend::KmsBackend(DrmDevice device, std::vector<std::unique_ptr<KmsOutput>> outputs)
    : device_(std::move(device)), outputs_(std::move(outputs))
{
}

KmsBackend::~KmsBackend()
{
    outputs_.clear();  // restores the CRTCs while the device is still open
}

std::vector<Output*> KmsBackend::outputs()
{
    std::vector<Output*> list;
    for (auto& o : outputs_)
        list.push_back(o.get());
    return list;
}

namespace {
// The backend whose events drmHandleEvent is dispatching: its callbacks have
// no context pointer of their own (the commit's user data is the CRTC id).
thread_local KmsBackend* t_dispatching = nullptr;
}  // namespace

void KmsBackend::dispatch_events()
{
    drmEventContext context{};
    context.version = 3;
    context.page_flip_handler2 = [](int, unsigned sequence, unsigned sec, unsigned usec, unsigned crtc_id, void*) {
        for (Output* o : t_dispatching->outputs()) {
            auto* kms = static_cast<KmsOutput*>(o);
            if (kms->crtc_id() == crtc_id)
                kms->on_page_flip(sequence, std::chrono::seconds(sec) + std::chrono::microseconds(usec));
        }
    };
    t_dispatching = this;
    const int r = drmHandleEvent(device_.fd(), &context);
    t_dispatching = nullptr;
    if (r != 0 && errno != EAGAIN)
        UDEFIO_LOG(error, "%s: reading DRM events failed: %s", device_.path().c_str(), std::strerror(errno));
}

}  // namespace udefio
