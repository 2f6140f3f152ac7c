#include "tools/udefio/drm_report.hpp"

#include <drm_fourcc.h>
#include <fcntl.h>
#include <glob.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "backends/kms/drm_properties.hpp"
#include "backends/kms/scanout_allocator.hpp"
#include "util/unique_fd.hpp"

namespace udefio::cli {

namespace {

const char* yes_no(bool b) { return b ? "yes" : "no"; }

std::string mode_name(const drmModeModeInfo& m)
{
    return std::to_string(m.hdisplay) + "x" + std::to_string(m.vdisplay) + "@" + std::to_string(m.vrefresh);
}

std::string bus_of(int fd)
{
    drmDevicePtr device = nullptr;
    if (drmGetDevice2(fd, 0, &device) != 0 || !device)
        return "bus unknown";
    std::string bus;
    char pci[32];
    switch (device->bustype) {
    case DRM_BUS_PCI:
        std::snprintf(pci, sizeof pci, "pci %04x:%02x:%02x.%u", device->businfo.pci->domain, device->businfo.pci->bus,
                      device->businfo.pci->dev, device->businfo.pci->func);
        bus = pci;
        break;
    case DRM_BUS_PLATFORM:
        bus = std::string("platform ") + device->businfo.platform->fullname;
        break;
    default:
        bus = "bus " + std::to_string(device->bustype);
    }
    drmFreeDevice(&device);
    return bus;
}

void print_connectors(int fd, const drmModeRes& res)
{
    for (int i = 0; i < res.count_connectors; ++i) {
        drmModeConnector* c = drmModeGetConnector(fd, res.connectors[i]);
        if (!c)
            continue;
        const char* type = drmModeGetConnectorTypeName(c->connector_type);
        const char* status = c->connection == DRM_MODE_CONNECTED      ? "connected"
                             : c->connection == DRM_MODE_DISCONNECTED ? "disconnected"
                                                                      : "status unknown";
        std::string modes;
        for (int m = 0; m < c->count_modes; ++m) {
            modes += (m ? ", " : "") + mode_name(c->modes[m]);
            if (c->modes[m].type & DRM_MODE_TYPE_PREFERRED)
                modes += " (preferred)";
        }
        std::printf("    connector %u %s-%u: %s, %d mode%s%s%s\n", c->connector_id, type ? type : "Unknown",
                    c->connector_type_id, status, c->count_modes, c->count_modes == 1 ? "" : "s",
                    modes.empty() ? "" : ": ", modes.c_str());
        drmModeFreeConnector(c);
    }
}

void print_crtcs(int fd, const drmModeRes& res, bool atomic)
{
    for (int i = 0; i < res.count_crtcs; ++i) {
        drmModeCrtc* crtc = drmModeGetCrtc(fd, res.crtcs[i]);
        if (!crtc)
            continue;
        const auto props = DrmProperties::read(fd, crtc->crtc_id, DRM_MODE_OBJECT_CRTC);
        std::printf("    crtc %u (index %d): %s, OUT_FENCE_PTR %s\n", crtc->crtc_id, i,
                    crtc->mode_valid ? ("active " + mode_name(crtc->mode)).c_str() : "inactive",
                    atomic ? yes_no(props.id("OUT_FENCE_PTR").has_value()) : "no (no atomic modesetting)");
        drmModeFreeCrtc(crtc);
    }
}

void print_planes(int fd, bool atomic)
{
    drmModePlaneRes* planes = drmModeGetPlaneResources(fd);
    if (!planes)
        return;
    for (uint32_t i = 0; i < planes->count_planes; ++i) {
        drmModePlane* plane = drmModeGetPlane(fd, planes->planes[i]);
        if (!plane)
            continue;
        const auto props = DrmProperties::read(fd, plane->plane_id, DRM_MODE_OBJECT_PLANE);
        const auto type = props.value("type");
        const char* kind = !type ? "type unknown"
                           : *type == DRM_PLANE_TYPE_PRIMARY ? "primary"
                           : *type == DRM_PLANE_TYPE_CURSOR  ? "cursor"
                                                             : "overlay";
        bool xrgb = false;
        for (uint32_t f = 0; f < plane->count_formats; ++f)
            xrgb |= plane->formats[f] == DRM_FORMAT_XRGB8888;
        const auto property = [&](const char* name) {
            return atomic ? yes_no(props.id(name).has_value()) : "no (no atomic modesetting)";
        };
        std::printf("    plane %u %s, crtcs 0x%x: XRGB8888 %s, FB_DAMAGE_CLIPS %s, IN_FENCE_FD %s\n", plane->plane_id,
                    kind, plane->possible_crtcs, yes_no(xrgb), property("FB_DAMAGE_CLIPS"), property("IN_FENCE_FD"));
        drmModeFreePlane(plane);
    }
    drmModeFreePlaneResources(planes);
}

void print_device(const char* path)
{
    UniqueFd fd(::open(path, O_RDWR | O_CLOEXEC));
    if (!fd) {
        std::printf("  %s: cannot open: %s\n", path,
                    errno == EACCES ? "permission denied (run as root or join the 'video' group)"
                                    : std::strerror(errno));
        return;
    }
    drmVersion* version = drmGetVersion(fd.get());
    std::printf("  %s: driver %s %d.%d.%d (%s), %s\n", path, version ? version->name : "?",
                version ? version->version_major : 0, version ? version->version_minor : 0,
                version ? version->version_patchlevel : 0, version ? version->desc : "no version", bus_of(fd.get()).c_str());
    drmFreeVersion(version);
    if (drmGetNodeTypeFromFd(fd.get()) == DRM_NODE_RENDER) {
        std::printf("    a render node: no display\n");
        return;
    }
    // The first opener of a card with no master becomes it: then it is free.
    std::printf("    DRM master: %s\n", drmIsMaster(fd.get()) ? "free (udefio could take it)"
                                                               : "held by another program (a compositor?)");
    uint64_t dumb = 0;
    drmGetCap(fd.get(), DRM_CAP_DUMB_BUFFER, &dumb);
    drmSetClientCap(fd.get(), DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
    const bool atomic = drmSetClientCap(fd.get(), DRM_CLIENT_CAP_ATOMIC, 1) == 0;
    std::printf("    capabilities: dumb buffers %s, atomic modesetting %s\n", yes_no(dumb), yes_no(atomic));
    for (AllocatorKind kind : {AllocatorKind::dumb, AllocatorKind::gbm}) {
        auto works = ScanoutAllocator::probe(fd.get(), kind);
        std::printf("    %s: %s\n", kind == AllocatorKind::dumb ? "dumb buffers" : "GBM",
                    works ? ("work (" + *works + ", a 64x64 scanout buffer made)").c_str()
                          : ("no: " + works.error().message()).c_str());
    }
    drmModeRes* res = drmModeGetResources(fd.get());
    if (!res) {
        std::printf("    no KMS resources: %s\n", std::strerror(errno));
        return;
    }
    print_connectors(fd.get(), *res);
    print_crtcs(fd.get(), *res, atomic);
    drmModeFreeResources(res);
    print_planes(fd.get(), atomic);
}

}  // namespace

void print_drm_devices()
{
    std::printf("display devices (DRM):\n");
    glob_t g{};
    if (::glob("/dev/dri/card*", 0, nullptr, &g) != 0 || g.gl_pathc == 0)
        std::printf("  none: no /dev/dri/card* (no display hardware or DRM driver)\n");
    else
        for (size_t i = 0; i < g.gl_pathc; ++i)
            print_device(g.gl_pathv[i]);
    ::globfree(&g);
    std::printf("\n");
}

}  // namespace udefio::cli
