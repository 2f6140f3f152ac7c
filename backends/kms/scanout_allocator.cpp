#include "backends/kms/scanout_allocator.hpp"

#include "backends/kms/dumb_buffer.hpp"
#include "util/log.hpp"
#ifdef UDEFIO_HAVE_GBM
#include "backends/gbm/gbm_buffer.hpp"
#endif

namespace udefio {

#ifndef UDEFIO_HAVE_GBM
// Without libgbm at build time this stays incomplete and never instantiated.
class GbmDevice {};
#endif

Result<AllocatorKind> parse_allocator_kind(const std::string& name)
{
    if (name == "dumb")
        return AllocatorKind::dumb;
    if (name == "gbm")
        return AllocatorKind::gbm;
    return plain_error("allocator '" + name + "': unknown (known: dumb, gbm)");
}

namespace {

#ifdef UDEFIO_HAVE_GBM
// A GBM device that gave a scanout buffer, made and freed now: whether this
// driver can give them at all.
Result<std::unique_ptr<GbmDevice>> usable_gbm(int drm_fd)
{
    auto device = GbmDevice::create(drm_fd);
    if (!device)
        return device.error();
    if (auto probe = GbmBuffer::create(**device, 64, 64); !probe)
        return probe.error();
    return device;
}
#endif

}  // namespace

std::unique_ptr<ScanoutAllocator> ScanoutAllocator::choose(int drm_fd, AllocatorKind wanted)
{
    if (wanted == AllocatorKind::dumb)
        return std::make_unique<ScanoutAllocator>(drm_fd, nullptr);
#ifdef UDEFIO_HAVE_GBM
    auto device = usable_gbm(drm_fd);
    if (!device) {
        UDEFIO_LOG(warn, "GBM allocation not possible here: %s; using dumb buffers", device.error().message().c_str());
        return std::make_unique<ScanoutAllocator>(drm_fd, nullptr);
    }
    return std::make_unique<ScanoutAllocator>(drm_fd, std::move(device).value());
#else
    UDEFIO_LOG(warn, "this build has no libgbm; using dumb buffers");
    return std::make_unique<ScanoutAllocator>(drm_fd, nullptr);
#endif
}

Result<std::string> ScanoutAllocator::probe(int drm_fd, AllocatorKind kind)
{
    if (kind == AllocatorKind::dumb) {
        auto buffer = DumbBuffer::create(drm_fd, 64, 64);
        if (!buffer)
            return buffer.error();
        return ScanoutAllocator(drm_fd, nullptr).describe();
    }
#ifdef UDEFIO_HAVE_GBM
    auto device = usable_gbm(drm_fd);
    if (!device)
        return device.error();
    return ScanoutAllocator(drm_fd, std::move(device).value()).describe();
#else
    return plain_error("this build has no libgbm");
#endif
}

ScanoutAllocator::ScanoutAllocator(int drm_fd, std::unique_ptr<GbmDevice> gbm) : drm_fd_(drm_fd), gbm_(std::move(gbm))
{
}

ScanoutAllocator::~ScanoutAllocator() = default;

Result<std::unique_ptr<ScanoutBuffer>> ScanoutAllocator::allocate(uint32_t width, uint32_t height)
{
#ifdef UDEFIO_HAVE_GBM
    if (gbm_) {
        auto buffer = GbmBuffer::create(*gbm_, width, height);
        if (!buffer)
            return buffer.error();
        return std::unique_ptr<ScanoutBuffer>(std::move(buffer).value());
    }
#endif
    auto buffer = DumbBuffer::create(drm_fd_, width, height);
    if (!buffer)
        return buffer.error();
    return std::unique_ptr<ScanoutBuffer>(std::move(buffer).value());
}

std::string ScanoutAllocator::describe() const
{
#ifdef UDEFIO_HAVE_GBM
    if (gbm_)
        return "gbm (" + gbm_->backend_name() + ")";
#endif
    return "dumb";
}

}  // namespace udefio
