// The KMS backend: one DRM device, one output per connected connector, and
// the DRM fd watched on the event loop for page-flip events.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "backends/backend.hpp"
#include "backends/kms/drm_device.hpp"
#include "backends/kms/kms_output.hpp"
#include "backends/kms/scanout_allocator.hpp"
#include "backends/kms/udev_monitor.hpp"

namespace udefio {

struct KmsOptions {
    std::string device;  // empty: the first card with a connected connector
    std::optional<ModeRequest> mode;
    bool atomic = true;  // false: legacy SetCrtc + DirtyFB + PageFlip
    AllocatorKind allocator = AllocatorKind::dumb;
    // The factory (kms, auto) first waits this long for the card (--wait-device).
    std::chrono::milliseconds wait_device{0};
};

class KmsBackend final : public Backend {
public:
    // Opens the device through `seat`, which must outlive the backend; null:
    // through a seat session of the backend's own, or directly if none opens.
    static Result<std::unique_ptr<KmsBackend>> create(EventLoop& loop, const KmsOptions& options,
                                                      SeatSession* seat = nullptr);
    ~KmsBackend() override;

    std::string_view name() const override { return "kms"; }
    std::vector<Output*> outputs() override;
    const DrmDevice& device() const { return device_; }

    KmsBackend(EventLoop& loop, std::unique_ptr<SeatSession> seat, DrmDevice device,
               std::optional<ModeRequest> mode, std::unique_ptr<ScanoutAllocator> allocator);
    const ScanoutAllocator& allocator() const { return *allocator_; }

private:
    void dispatch_events();                 // loop thread
    void on_udev_event(const DrmEvent& e);  // loop thread
    void remove_output(size_t index, bool device_gone);
    void add_new_outputs();
    KmsOutput::Allocator allocate();

    EventLoop& loop_;
    std::unique_ptr<SeatSession> seat_;  // null: the caller's seat, or no seat (opened directly)
    DrmDevice device_;
    const std::optional<ModeRequest> mode_;
    dev_t devnum_ = 0;
    std::unique_ptr<ScanoutAllocator> allocator_;  // before outputs_: their buffers go first
    std::vector<std::unique_ptr<KmsOutput>> outputs_;
    EventSource drm_events_;
    std::unique_ptr<UdevMonitor> udev_;  // null if hotplug events are not available
};

}  // namespace udefio
