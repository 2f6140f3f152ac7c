#include "compositor/input_wire.hpp"

#include <cstring>

namespace udefio {
namespace {

using wire::to_fixed;

struct ToWire {
    uint32_t surface;
    uint64_t time_us;

    std::optional<wire::Event> operator()(const DeviceAdded&) const { return std::nullopt; }
    std::optional<wire::Event> operator()(const DeviceRemoved&) const { return std::nullopt; }
    std::optional<wire::Event> operator()(const KeyEvent& k) const
    {
        wire::Key m{};
        m.surface = surface;
        m.state = uint32_t(!k.pressed ? wire::KeyState::released
                                      : k.repeat ? wire::KeyState::repeated : wire::KeyState::pressed);
        m.time_us = time_us;
        m.key = k.key;
        m.keysym = k.keysym;
        m.mods_depressed = k.mods.depressed;
        m.mods_latched = k.mods.latched;
        m.mods_locked = k.mods.locked;
        m.group = k.mods.group;
        // Cut at a character's start: a compose sequence may type more than fits.
        size_t n = std::min(k.utf8.size(), sizeof m.text - 1);
        while (n < k.utf8.size() && n > 0 && (uint8_t(k.utf8[n]) & 0xc0) == 0x80)
            --n;
        std::memcpy(m.text, k.utf8.data(), n);
        return m;
    }
    std::optional<wire::Event> operator()(const PointerMotion& p) const
    {
        return wire::PointerMotion{surface,           uint32_t(p.absolute),  time_us,
                                   to_fixed(p.position.x), to_fixed(p.position.y), to_fixed(p.delta.x),
                                   to_fixed(p.delta.y)};
    }
    std::optional<wire::Event> operator()(const PointerButton& b) const
    {
        return wire::PointerButton{surface, uint32_t(b.pressed), time_us, b.button, to_fixed(b.position.x),
                                   to_fixed(b.position.y), 0};
    }
    std::optional<wire::Event> operator()(const PointerAxis& a) const
    {
        return wire::PointerAxis{surface,           uint32_t(a.source),     time_us,           to_fixed(a.vertical),
                                 to_fixed(a.horizontal), a.vertical_v120, a.horizontal_v120, to_fixed(a.position.x),
                                 to_fixed(a.position.y)};
    }
    std::optional<wire::Event> operator()(const TouchDown& t) const
    {
        return wire::TouchDown{surface, t.id, time_us, to_fixed(t.position.x), to_fixed(t.position.y)};
    }
    std::optional<wire::Event> operator()(const TouchMotion& t) const
    {
        return wire::TouchMotion{surface, t.id, time_us, to_fixed(t.position.x), to_fixed(t.position.y)};
    }
    std::optional<wire::Event> operator()(const TouchUp& t) const { return wire::TouchUp{surface, t.id, time_us}; }
    std::optional<wire::Event> operator()(const TouchFrame&) const { return wire::TouchFrame{surface}; }
    std::optional<wire::Event> operator()(const TouchCancel&) const { return wire::TouchCancel{surface}; }
};

// The wire's source numbers are input_event.hpp's, in the same order.
static_assert(uint32_t(AxisSource::finger) == uint32_t(wire::AxisSource::finger) &&
              uint32_t(AxisSource::continuous) == uint32_t(wire::AxisSource::continuous));

}  // namespace

std::optional<wire::Event> input_to_wire(const InputEvent& event, uint32_t surface)
{
    return std::visit(ToWire{surface, uint64_t(event.time.count())}, event.what);
}

}  // namespace udefio
