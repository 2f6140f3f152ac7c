// `udefio info`: what this machine offers (kernel, trackers, backends).
#pragma once

namespace udefio::cli {

int run_info();

}  // namespace udefio::cli
