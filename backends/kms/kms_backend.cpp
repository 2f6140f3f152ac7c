#include "backends/kms/kms_backend.hpp"

#include <sys/stat.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <cstring>

#include "util/log.hpp"

namespace udefio {

Result<std::unique_ptr<KmsBackend>> KmsBackend::create(EventLoop& loop, const KmsOptions& options,
                                                      SeatSession* shared_seat)
{
    std::unique_ptr<SeatSession> seat;
    if (!shared_seat) {
        if (auto session = SeatSession::open(loop))
            seat = std::move(session).value();
        else
            UDEFIO_LOG(info, "no seat: %s; opening the DRM device directly", session.error().message().c_str());
    }
    auto device = DrmDevice::open(options.device, options.atomic, shared_seat ? shared_seat : seat.get());
    if (!device)
        return device.error();
    auto pipes = find_pipes(device->fd(), device->path(), options.mode);
    if (!pipes)
        return pipes.error();
    auto allocator = ScanoutAllocator::choose(device->fd(), options.allocator);
    auto backend = std::make_unique<KmsBackend>(loop, std::move(seat), std::move(device).value(), options.mode,
                                                std::move(allocator));
    for (const KmsPipe& pipe : *pipes) {
        auto output = KmsOutput::create(loop, backend->device_, pipe, backend->allocate());
        if (!output)
            return output.error();
        UDEFIO_LOG(info, "%s: output %s, %ux%u, %s buffers, FB_DAMAGE_CLIPS %s", backend->device_.path().c_str(),
                   pipe.name.c_str(), pipe.mode.hdisplay, pipe.mode.vdisplay,
                   backend->allocator_->describe().c_str(),
                   (*output)->damage_clips_supported() ? "yes" : "no (full-plane updates)");
        backend->outputs_.push_back(std::move(output).value());
    }
    auto watch = loop.watch_readable(backend->device_.fd(), [b = backend.get()] { b->dispatch_events(); });
    if (!watch)
        return watch.error();
    backend->drm_events_ = std::move(watch).value();
    struct stat st {};
    if (::fstat(backend->device_.fd(), &st) == 0)
        backend->devnum_ = st.st_rdev;
    auto udev = UdevMonitor::create(loop, [b = backend.get()](const DrmEvent& e) { b->on_udev_event(e); });
    if (udev)
        backend->udev_ = std::move(udev).value();
    else
        UDEFIO_LOG(warn, "%s: no hotplug or unplug events: %s", backend->device_.path().c_str(),
                   udev.error().message().c_str());
    return backend;
}

KmsBackend::KmsBackend(EventLoop& loop, std::unique_ptr<SeatSession> seat, DrmDevice device,
                       std::optional<ModeRequest> mode, std::unique_ptr<ScanoutAllocator> allocator)
    : loop_(loop),
      seat_(std::move(seat)), device_(std::move(device)), mode_(std::move(mode)), allocator_(std::move(allocator))
{
}

KmsOutput::Allocator KmsBackend::allocate()
{
    return [a = allocator_.get()](uint32_t width, uint32_t height) { return a->allocate(width, height); };
}

KmsBackend::~KmsBackend()
{
    outputs_.clear();  // restores the CRTCs while the device is still open
}

void KmsBackend::on_udev_event(const DrmEvent& e)
{
    if (e.devnum != devnum_)
        return;
    if (e.action == "remove") {
        UDEFIO_LOG(warn, "%s was removed: its outputs go away and their clients get SIGBUS",
                   device_.path().c_str());
        while (!outputs_.empty())
            remove_output(outputs_.size() - 1, true);
        drm_events_.disarm();  // the fd is dead: stop watching it
        notify_gone(device_.path() + " was removed");
        return;
    }
    // A real hotplug is a "change" with HOTPLUG=1; other changes of the card
    // (leases, synthetic events) re-probe too: it is cheap and never wrong.
    if (e.action != "change")
        return;
    for (size_t i = outputs_.size(); i-- > 0;) {
        drmModeConnector* c = drmModeGetConnector(device_.fd(), outputs_[i]->connector_id());
        const bool connected = c && c->connection == DRM_MODE_CONNECTED;
        drmModeFreeConnector(c);
        if (!connected) {
            UDEFIO_LOG(warn, "%s: output %s was disconnected", device_.path().c_str(),
                       outputs_[i]->name().c_str());
            remove_output(i, false);
        }
    }
    add_new_outputs();
}

void KmsBackend::add_new_outputs()
{
    std::vector<KmsPipe> in_use;
    for (const auto& o : outputs_)
        in_use.push_back(o->pipe());
    auto pipes = find_pipes(device_.fd(), device_.path(), mode_, in_use);
    if (!pipes) {
        UDEFIO_LOG(debug, "%s", pipes.error().message().c_str());  // nothing connected: normal after an unplug
        return;
    }
    for (const KmsPipe& pipe : *pipes) {
        auto output = KmsOutput::create(loop_, device_, pipe, allocate());
        if (!output) {
            UDEFIO_LOG(warn, "%s: new output %s: %s", device_.path().c_str(), pipe.name.c_str(),
                       output.error().message().c_str());
            continue;
        }
        UDEFIO_LOG(info, "%s: output %s was connected (%ux%u)", device_.path().c_str(), pipe.name.c_str(),
                   pipe.mode.hdisplay, pipe.mode.vdisplay);
        outputs_.push_back(std::move(output).value());
        notify_output_added(*outputs_.back());
    }
}

void KmsBackend::remove_output(size_t index, bool device_gone)
{
    notify_output_removed(*outputs_[index]);
    if (device_gone)
        outputs_[index]->forget_device();
    outputs_.erase(outputs_.begin() + std::ptrdiff_t(index));  // detaches: its clients' mappings now SIGBUS
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
