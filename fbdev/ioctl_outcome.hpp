// How an emulated ioctl is answered: now, or when something happens.
#pragma once

namespace udefio::fbdev {

enum class Deferral {
    none,
    next_vblank,     // FBIO_WAITFORVSYNC, FBIOPAN_DISPLAY: return 0 at the output's next vblank
    console_active,  // VT_WAITACTIVE while the seat is disabled: return 0 once it is enabled
};

struct IoctlOutcome {
    int error = 0;  // 0 or the errno to return
    Deferral wait = Deferral::none;
};

}  // namespace udefio::fbdev
