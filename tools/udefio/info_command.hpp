// `udefio info`: what this machine offers (kernel, trackers, backends, the
// display devices).
#pragma once

namespace udefio::cli {

// `wait_device_s` > 0: first wait that long for a display device (--wait-device);
// 1 if none came, after the report.
int run_info(double wait_device_s);

}  // namespace udefio::cli
