// Property ids of one KMS object (connector, CRTC, plane), looked up by name
// once, as atomic commits address properties by id.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace udefio {

class DrmProperties {
public:
    // Reads every property of the object (DRM_MODE_OBJECT_* type).
    static DrmProperties read(int fd, uint32_t object_id, uint32_t object_type);

    std::optional<uint32_t> id(const std::string& name) const;
    std::optional<uint64_t> value(const std::string& name) const;

private:
    struct Property {
        uint32_t id;
        uint64_t value;
    };
    std::map<std::string, Property> by_name_;
};

}  // namespace udefio
