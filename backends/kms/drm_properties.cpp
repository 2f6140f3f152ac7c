#include "backends/kms/drm_properties.hpp"

#include <xf86drmMode.h>

namespace udefio {

DrmProperties DrmProperties::read(int fd, uint32_t object_id, uint32_t object_type)
{
    DrmProperties result;
    drmModeObjectProperties* props = drmModeObjectGetProperties(fd, object_id, object_type);
    if (!props)
        return result;
    for (uint32_t i = 0; i < props->count_props; ++i) {
        drmModePropertyRes* prop = drmModeGetProperty(fd, props->props[i]);
        if (!prop)
            continue;
        result.by_name_[prop->name] = {prop->prop_id, props->prop_values[i]};
        drmModeFreeProperty(prop);
    }
    drmModeFreeObjectProperties(props);
    return result;
}

std::optional<uint32_t> DrmProperties::id(const std::string& name) const
{
    auto it = by_name_.find(name);
    return it == by_name_.end() ? std::nullopt : std::optional<uint32_t>(it->second.id);
}

std::optional<uint64_t> DrmProperties::value(const std::string& name) const
{
    auto it = by_name_.find(name);
    return it == by_name_.end() ? std::nullopt : std::optional<uint64_t>(it->second.value);
}

}  // namespace udefio
