// An input event of the seat as the protocol's input event for one surface
// (protocol/wire.hpp, version 3).
#pragma once

#include <optional>

#include "input/input_event.hpp"
#include "protocol/wire.hpp"

namespace udefio {

// nullopt for what clients are not told (devices added and removed).
std::optional<wire::Event> input_to_wire(const InputEvent& event, uint32_t surface);

}  // namespace udefio
