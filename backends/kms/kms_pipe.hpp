// Which connector, CRTC, primary plane and mode one output uses: picked once
// from what the device offers (kmscube's find_crtc_for_connector, with planes).
#pragma once

#include <xf86drmMode.h>

#include <optional>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace udefio {

// --mode WxH[@Hz]
struct ModeRequest {
    uint32_t width = 0;
    uint32_t height = 0;
    std::optional<double> refresh_hz;
};
Result<ModeRequest> parse_mode_request(const std::string& text);

struct KmsPipe {
    uint32_t connector_id = 0;
    uint32_t crtc_id = 0;
    uint32_t crtc_index = 0;
    uint32_t plane_id = 0;
    drmModeModeInfo mode{};
    std::string name;  // "Virtual-1", from the connector type and index
};

// Every connected connector that can get a CRTC and a primary plane, apart
// from the pipes `in_use` (their connectors, CRTCs and planes are skipped).
// A requested mode the connector lacks is an error naming the modes it has.
Result<std::vector<KmsPipe>> find_pipes(int fd, const std::string& device, const std::optional<ModeRequest>& mode,
                                        const std::vector<KmsPipe>& in_use = {});

}  // namespace udefio
