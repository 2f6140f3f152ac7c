#include "tools/udefio/info_command.hpp"

#include <sys/utsname.h>

#include <cstdio>

#include "backends/backend_factory.hpp"
#include "backends/kms/display_wait.hpp"
#include "defio/tracker_probe.hpp"
#include "tools/udefio/drm_report.hpp"
#include "util/log.hpp"

namespace udefio::cli {

int run_info(double wait_device_s)
{
    if (!(wait_device_s >= 0 && wait_device_s <= 86400)) {
        UDEFIO_LOG(error, "--wait-device %g: must be between 0 and 86400 s", wait_device_s);
        return 1;
    }
    bool display_missing = false;
    if (wait_device_s > 0) {
        auto display = wait_for_display("", std::chrono::milliseconds(int64_t(wait_device_s * 1000)));
        if (!display) {
            UDEFIO_LOG(error, "%s", display.error().message().c_str());
            display_missing = true;
        }
    }
    utsname uts{};
    uname(&uts);
    std::printf("udefio %s\nkernel: %s %s %s\n\n", UDEFIO_VERSION, uts.sysname, uts.release, uts.machine);

    std::printf("write trackers (best first; the probe writes a page and checks it is reported):\n");
    const char* chosen = nullptr;
    for (const TrackerProbeResult& r : probe_trackers()) {
        const auto name = tracker_name(r.kind);
        if (r.works && !chosen && r.kind != TrackerKind::explicit_damage)
            chosen = name.data();
        std::printf("  %-11s %-4s %s\n", name.data(), r.works ? "yes" : "no", r.reason.c_str());
    }
    std::printf("  default: %s\n\n", chosen ? chosen : "none");

    // Our trackers see this process's page tables; a program's or a protocol
    // client's stores are found in the shared memory itself.
    bool pagemap = false;  // what it needs is what uffd-async needs: WP_ASYNC and PAGEMAP_SCAN
    for (const TrackerProbeResult& r : probe_trackers())
        pagemap |= r.kind == TrackerKind::uffd_async && r.works;
    std::printf("other processes' writes (kiosk and profiled programs, protocol clients without damage):\n"
                "  pagemap    %-4s a libudefio-client app registers its lease write-protect-async; udefio scans its\n"
                "                  /proc/PID/pagemap (PAGEMAP_SCAN)%s\n"
                "  shadow     yes  compared against a copy at each look or commit (pre-leased programs, and the\n"
                "                  fallback that always works)\n\n",
                pagemap ? "yes" : "no", pagemap ? "" : ": this kernel lacks it (see uffd-async above)");

    std::printf("backends (--backend auto takes the first available):\n");
    for (const BackendAvailability& b : probe_backends())
        std::printf("  %-9s %-4s %s\n", b.name.c_str(), b.available ? "yes" : "no", b.reason.c_str());
    std::printf("\n");
    print_drm_devices();
    return display_missing ? 1 : 0;
}

}  // namespace udefio::cli
