// The generated presentation-time client header, for C++: its request
// wp_presentation_feedback() has the name of the struct it returns, which
// C++ (-Wshadow) flags. Code here names the type `struct wp_presentation_feedback`.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#include "backends/wayland/presentation-time-client-protocol.h"
#pragma GCC diagnostic pop
