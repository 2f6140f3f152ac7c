// The software-rotated flush copy against the plain one, for a 64x64 cursor
// and a full frame: rotation/<transform>/<resolution>/{cursor64,full}.
#pragma once

#include <functional>
#include <string>

namespace udefio::bench {

void register_rotation_benchmarks();
// The ratios of every transform against the normal (plain) copy of this run.
// `cpu_ns` gives a benchmark's CPU time per iteration by name (0 if it did not
// run): the copy runs on one thread, and on a busy machine real time measures
// the scheduler.
std::string report_rotation(const std::function<double(const std::string& name)>& cpu_ns);

}  // namespace udefio::bench
