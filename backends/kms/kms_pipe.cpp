#include "backends/kms/kms_pipe.hpp"

#include <cmath>
#include <cstdio>
#include <memory>
#include <set>

#include "backends/kms/drm_properties.hpp"

namespace udefio {
namespace {

template <class T, void (*Free)(T*)>
using DrmPtr = std::unique_ptr<T, decltype([](T* p) { Free(p); })>;
using Resources = DrmPtr<drmModeRes, drmModeFreeResources>;
using Connector = DrmPtr<drmModeConnector, drmModeFreeConnector>;
using Encoder = DrmPtr<drmModeEncoder, drmModeFreeEncoder>;
using PlaneResources = DrmPtr<drmModePlaneRes, drmModeFreePlaneResources>;
using Plane = DrmPtr<drmModePlane, drmModeFreePlane>;

double refresh_hz(const drmModeModeInfo& m)
{
    return m.htotal && m.vtotal ? m.clock * 1000.0 / (double(m.htotal) * m.vtotal) : m.vrefresh;
}

std::string describe(const drmModeModeInfo& m)
{
    char text[48];
    std::snprintf(text, sizeof text, "%ux%u@%.0f", m.hdisplay, m.vdisplay, refresh_hz(m));
    return text;
}

Result<drmModeModeInfo> choose_mode(const drmModeConnector& c, const std::string& name,
                                    const std::optional<ModeRequest>& request)
{
    if (!request) {
        for (int i = 0; i < c.count_modes; ++i) {
            if (c.modes[i].type & DRM_MODE_TYPE_PREFERRED)
                return c.modes[i];
        }
        return c.modes[0];
    }
    std::string offered;
    for (int i = 0; i < c.count_modes; ++i) {
        const drmModeModeInfo& m = c.modes[i];
        if (m.hdisplay == request->width && m.vdisplay == request->height &&
            (!request->refresh_hz || std::fabs(refresh_hz(m) - *request->refresh_hz) < 0.5))
            return m;
        offered += (offered.empty() ? "" : " ") + describe(m);
    }
    return plain_error("--mode " + std::to_string(request->width) + "x" + std::to_string(request->height) +
                       (request->refresh_hz ? "@" + std::to_string(int(*request->refresh_hz)) : "") + ": connector " +
                       name + " has no such mode (it has: " + offered + ")");
}

std::optional<uint32_t> primary_plane(int fd, uint32_t crtc_index, const std::set<uint32_t>& taken)
{
    PlaneResources planes(drmModeGetPlaneResources(fd));
    if (!planes)
        return std::nullopt;
    for (uint32_t i = 0; i < planes->count_planes; ++i) {
        Plane plane(drmModeGetPlane(fd, planes->planes[i]));
        if (!plane || !(plane->possible_crtcs & (1u << crtc_index)) || taken.count(plane->plane_id))
            continue;
        auto type = DrmProperties::read(fd, plane->plane_id, DRM_MODE_OBJECT_PLANE).value("type");
        if (type && *type == DRM_PLANE_TYPE_PRIMARY)
            return plane->plane_id;
    }
    return std::nullopt;
}

}  // namespace

Result<ModeRequest> parse_mode_request(const std::string& text)
{
    ModeRequest r;
    double hz = 0;
    char tail = 0;
    const int n = std::sscanf(text.c_str(), "%ux%u@%lf%c", &r.width, &r.height, &hz, &tail);
    if ((n != 2 && n != 3) || r.width == 0 || r.height == 0 || (n == 3 && !(hz > 0)))
        return plain_error("--mode '" + text + "': expected WIDTHxHEIGHT or WIDTHxHEIGHT@HZ, e.g. 1920x1080@60");
    if (n == 3)
        r.refresh_hz = hz;
    return r;
}

Result<std::vector<KmsPipe>> find_pipes(int fd, const std::string& device, const std::optional<ModeRequest>& mode,
                                        const std::vector<KmsPipe>& in_use)
{
    Resources res(drmModeGetResources(fd));
    if (!res)
        return errno_error(device + ": drmModeGetResources (not a KMS device?)");
    std::vector<KmsPipe> pipes;
    std::set<uint32_t> connectors_taken, crtcs_taken, planes_taken;
    for (const KmsPipe& p : in_use) {
        connectors_taken.insert(p.connector_id);
        crtcs_taken.insert(p.crtc_id);
        planes_taken.insert(p.plane_id);
    }
    for (int i = 0; i < res->count_connectors; ++i) {
        if (connectors_taken.count(res->connectors[i]))
            continue;
        Connector c(drmModeGetConnector(fd, res->connectors[i]));
        if (!c || c->connection != DRM_MODE_CONNECTED || c->count_modes == 0)
            continue;
        KmsPipe pipe;
        pipe.connector_id = c->connector_id;
        const char* type = drmModeGetConnectorTypeName(c->connector_type);
        pipe.name = std::string(type ? type : "Unknown") + "-" + std::to_string(c->connector_type_id);
        auto chosen = choose_mode(*c, pipe.name, mode);
        if (!chosen)
            return chosen.error();
        pipe.mode = *chosen;
        for (int e = 0; e < c->count_encoders && !pipe.crtc_id; ++e) {
            Encoder enc(drmModeGetEncoder(fd, c->encoders[e]));
            for (int k = 0; enc && k < res->count_crtcs && !pipe.crtc_id; ++k) {
                const uint32_t crtc = res->crtcs[k];
                if (!(enc->possible_crtcs & (1u << k)) || crtcs_taken.count(crtc))
                    continue;
                auto plane = primary_plane(fd, uint32_t(k), planes_taken);
                if (!plane)
                    continue;
                pipe.crtc_id = crtc;
                pipe.crtc_index = uint32_t(k);
                pipe.plane_id = *plane;
            }
        }
        if (!pipe.crtc_id)
            continue;
        crtcs_taken.insert(pipe.crtc_id);
        planes_taken.insert(pipe.plane_id);
        pipes.push_back(pipe);
    }
    if (pipes.empty() && in_use.empty())
        return plain_error(device + ": no connected connector with a free CRTC and primary plane");
    return pipes;
}

}  // namespace udefio
