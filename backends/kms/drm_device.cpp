#include "backends/kms/drm_device.hpp"

#include <fcntl.h>
#include <glob.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <cstring>

#include "util/log.hpp"

namespace udefio {
namespace {

bool has_connected_connector(int fd)
{
    drmModeRes* res = drmModeGetResources(fd);
    if (!res)
        return false;
    bool connected = false;
    for (int i = 0; i < res->count_connectors && !connected; ++i) {
        drmModeConnector* c = drmModeGetConnector(fd, res->connectors[i]);
        connected = c && c->connection == DRM_MODE_CONNECTED && c->count_modes > 0;
        drmModeFreeConnector(c);
    }
    drmModeFreeResources(res);
    return connected;
}

// Why `path` cannot show a display, or "" if it can.
std::string why_not_a_display(const char* path)
{
    UniqueFd fd(::open(path, O_RDWR | O_CLOEXEC));
    if (!fd)
        return errno == EACCES ? "permission denied: run as root or join the 'video' group" : std::strerror(errno);
    return has_connected_connector(fd.get()) ? "" : "no connected connector";
}

}  // namespace

Result<std::string> DrmDevice::find_display(const std::string& requested)
{
    if (!requested.empty()) {
        if (const std::string why = why_not_a_display(requested.c_str()); !why.empty())
            return plain_error(requested + ": " + why);
        return requested;
    }
    glob_t g{};
    std::string found;
    std::string tried;
    if (::glob("/dev/dri/card*", 0, nullptr, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && found.empty(); ++i) {
            const std::string why = why_not_a_display(g.gl_pathv[i]);
            if (why.empty())
                found = g.gl_pathv[i];
            else
                tried += std::string(tried.empty() ? "" : ", ") + g.gl_pathv[i] + " (" + why + ")";
        }
    }
    ::globfree(&g);
    if (!found.empty())
        return found;
    if (tried.empty())
        return plain_error("no DRM device: /dev/dri/card* does not exist (no display hardware or driver)");
    return plain_error("no DRM device with a connected display: tried " + tried);
}

Result<DrmDevice> DrmDevice::open(const std::string& requested, bool allow_atomic, SeatSession* seat)
{
    std::string path = requested;
    if (path.empty()) {
        auto card = find_display("");
        if (!card)
            return card.error();
        path = *card;
    }
    SeatDevice fd;
    if (seat) {
        auto opened = seat->open_device(path);
        if (!opened)
            return opened.error();
        fd = std::move(opened).value();
        ::fcntl(fd.fd(), F_SETFL, ::fcntl(fd.fd(), F_GETFL) | O_NONBLOCK);
    } else {
        fd = SeatDevice(UniqueFd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK)));
    }
    if (!fd.valid())
        return errno_error("open(" + path + ")" + (errno == EACCES ? " (run as root or join the 'video' group)" : ""));
    if (drmGetNodeTypeFromFd(fd.fd()) == DRM_NODE_RENDER)
        return plain_error(path + " is a render node, not a display: use /dev/dri/cardN");
    uint64_t dumb = 0;
    if (drmGetCap(fd.fd(), DRM_CAP_DUMB_BUFFER, &dumb) != 0 || !dumb)
        return plain_error(path + ": the driver has no dumb buffers (not a KMS display device?)");
    if (!drmIsMaster(fd.fd()) && drmSetMaster(fd.fd()) != 0) {
        if (errno == EBUSY)
            return errno_error(path + ": cannot become DRM master: another program (a compositor or display "
                                      "server) holds it; stop it or switch to a free VT");
        return errno_error(path + ": not allowed to become DRM master: run as root or in a seat session "
                                  "(seatd, logind)");
    }
    if (drmSetClientCap(fd.fd(), DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) != 0)
        return errno_error(path + ": DRM_CLIENT_CAP_UNIVERSAL_PLANES");
    const bool atomic = allow_atomic && drmSetClientCap(fd.fd(), DRM_CLIENT_CAP_ATOMIC, 1) == 0;
    UDEFIO_LOG(info, "%s: %s modesetting, opened %s", path.c_str(), atomic ? "atomic" : "legacy",
               seat ? ("through libseat, seat " + seat->name()).c_str() : "directly (no seat)");
    return DrmDevice(std::move(fd), std::move(path), atomic);
}

}  // namespace udefio
