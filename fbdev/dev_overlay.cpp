#include "fbdev/dev_overlay.hpp"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace udefio::fbdev {
namespace {

constexpr unsigned kFbMajor = 29;
constexpr int kHiddenFramebuffers = 32;  // FB_MAX

// Mount points strictly under /dev, outermost only (rbind brings the nested ones).
std::vector<std::string> dev_submounts()
{
    std::vector<std::string> points;
    std::ifstream mountinfo("/proc/self/mountinfo");
    std::string line;
    while (std::getline(mountinfo, line)) {
        std::istringstream fields(line);
        std::string id, parent, devno, root, point;
        fields >> id >> parent >> devno >> root >> point;
        if (point.rfind("/dev/", 0) == 0)
            points.push_back(point);
    }
    std::sort(points.begin(), points.end());
    points.erase(std::unique(points.begin(), points.end()), points.end());
    std::vector<std::string> outer;
    for (const std::string& p : points) {
        if (outer.empty() || p.rfind(outer.back() + "/", 0) != 0)
            outer.push_back(p);
    }
    return outer;
}

}  // namespace

Result<DevOverlay> DevOverlay::prepare(const std::string& extra_device)
{
    DevOverlay overlay;
    ::mkdir("/run/udefio", 0755);
    std::string root = "/run/udefio/fbdev-XXXXXX";
    if (!::mkdtemp(root.data()))
        return errno_error("mkdtemp(" + root + ") for the program's /dev layer");
    overlay.root_ = root;
    overlay.created_.push_back(root);
    overlay.layer_ = root + "/layer";
    overlay.view_ = root + "/view";
    for (const std::string& dir : {overlay.layer_, overlay.view_, overlay.layer_ + "/graphics"}) {
        if (::mkdir(dir.c_str(), 0755) != 0)
            return errno_error("mkdir(" + dir + ")");
        overlay.created_.push_back(dir);
    }
    auto node = [&](const std::string& name, dev_t dev) -> Result<void> {
        const std::string path = overlay.layer_ + "/" + name;
        if (::mknod(path.c_str(), S_IFCHR | 0660, dev) != 0)
            return errno_error("mknod(" + path + ")");
        overlay.created_.push_back(path);
        return {};
    };
    std::vector<std::string> nodes = {"fb0", "fb", "graphics/fb0"};
    if (extra_device.rfind("/dev/", 0) == 0 && extra_device.find('/', 5) == std::string::npos)
        nodes.push_back(extra_device.substr(5));
    for (const std::string& name : nodes) {
        if (auto made = node(name, makedev(kFbMajor, 0)); !made)
            return made.error();
    }
    // Whiteouts (0:0 character devices) hide the host's other framebuffers.
    for (int i = 1; i < kHiddenFramebuffers; ++i) {
        const std::string name = "fb" + std::to_string(i);
        if (std::find(nodes.begin(), nodes.end(), name) != nodes.end())
            continue;
        if (auto made = node(name, makedev(0, 0)); !made)
            return made.error();
    }
    overlay.options_ = "lowerdir=" + overlay.layer_ + ":/dev";
    overlay.submounts_ = dev_submounts();
    for (const std::string& sub : overlay.submounts_)
        overlay.submount_views_.push_back(overlay.view_ + sub.substr(4));
    std::reverse(overlay.created_.begin(), overlay.created_.end());
    return overlay;
}

DevOverlay::DevOverlay(DevOverlay&& other) noexcept
    : root_(std::move(other.root_)),
      layer_(std::move(other.layer_)),
      view_(std::move(other.view_)),
      options_(std::move(other.options_)),
      submounts_(std::move(other.submounts_)),
      submount_views_(std::move(other.submount_views_)),
      created_(std::move(other.created_))
{
    other.created_.clear();
}

DevOverlay::~DevOverlay()
{
    for (const std::string& path : created_)
        ::remove(path.c_str());
}

int DevOverlay::mount_in_child() const
{
    if (::unshare(CLONE_NEWNS) != 0)
        return errno;
    // Nothing we mount may propagate back to the host.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return errno;
    if (::mount("overlay", view_.c_str(), "overlay", MS_RDONLY, options_.c_str()) != 0)
        return errno;
    for (size_t i = 0; i < submounts_.size(); ++i) {
        if (::mount(submounts_[i].c_str(), submount_views_[i].c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
            return errno;
    }
    if (::mount(view_.c_str(), "/dev", nullptr, MS_MOVE, nullptr) != 0)
        return errno;
    return 0;
}

}  // namespace udefio::fbdev
