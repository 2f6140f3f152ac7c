// Runs inside the QEMU guest (tests/vm/test_kms.py, fbi_check.sh): the
// helper of the cases that run Debian's fbi, unchanged, on udefio's kiosk and
// on the kernel's own /dev/fb0.
//   fbi_check image PATH        writes a PNG the size of card0's preferred mode
//                               (four areas: three colours and a gradient)
//   fbi_check image2 PATH       the same with the gradient flat: the next slide
//                               of a show that changes a quarter of the screen
//                               (tools/bench/fbdev_side_by_side.cpp)
//   fbi_check shown PATH        waits (up to 40 s) until the framebuffer the
//                               CRTC scans out holds exactly PATH's pixels, read
//                               back through GETFB2 and a dumb mapping (root);
//                               on vkms it then prints the CRTC's CRC
//   fbi_check reference PATH    (vkms) shows PATH through the KMS backend as a
//                               plain full-frame copy and prints the CRC
// What is scanned out is what the program's stores became after udefio's
// flush (or the kernel's deferred I/O); the host checks the screen itself
// with a screendump on bochs and virtio-gpu.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include "backends/kms/kms_backend.hpp"
#include "backends/png_file.hpp"
#include "tools/crc/crtc_crc.hpp"

using namespace udefio;
using namespace std::chrono_literals;

namespace {

int fail(const std::string& what)
{
    std::fprintf(stderr, "fbi_check: %s\n", what.c_str());
    return 1;
}

UniqueFd open_card()
{
    UniqueFd fd(::open("/dev/dri/card0", O_RDWR | O_CLOEXEC));
    if (fd)
        drmDropMaster(fd.get());  // the first opener may become master: udefio needs it
    return fd;
}

// The preferred mode of the first connected connector, as the KMS backend picks it.
std::optional<std::pair<uint32_t, uint32_t>> preferred_mode(int fd)
{
    drmModeRes* res = drmModeGetResources(fd);
    if (!res)
        return std::nullopt;
    std::optional<std::pair<uint32_t, uint32_t>> size;
    for (int i = 0; i < res->count_connectors && !size; ++i) {
        drmModeConnector* c = drmModeGetConnector(fd, res->connectors[i]);
        if (c && c->connection == DRM_MODE_CONNECTED && c->count_modes > 0) {
            int pick = 0;
            for (int m = 0; m < c->count_modes; ++m)
                if (c->modes[m].type & DRM_MODE_TYPE_PREFERRED) {
                    pick = m;
                    break;
                }
            size = std::pair{uint32_t(c->modes[pick].hdisplay), uint32_t(c->modes[pick].vdisplay)};
        }
        drmModeFreeConnector(c);
    }
    drmModeFreeResources(res);
    return size;
}

// Four areas that any misplaced row or column, or a scaling, shows: three
// flat colours and a gradient (as tests/fbdev/test_real_programs.cpp);
// `flat`: the gradient's quarter in one colour.
Image test_image(uint32_t w, uint32_t h, bool flat = false)
{
    Image image{w, h, std::vector<uint32_t>(size_t{w} * h)};
    for (uint32_t y = 0; y < h; ++y)
        for (uint32_t x = 0; x < w; ++x)
            image.pixels[size_t{y} * w + x] = y < h / 2 ? (x < w / 2 ? 0xff2010 : 0x10e040)
                                              : x < w / 2 ? 0x2030ff
                                              : flat      ? 0xe0e0e0
                                                          : (x * 255 / w) << 16 | (y * 255 / h) << 8 | 0x80;
    return image;
}

// Pixels of CRTC 0's current framebuffer that differ from `image`; nullopt
// if it cannot be read back (no framebuffer, other size or depth).
std::optional<size_t> differing_on_crtc(int fd, const Image& image, std::string& why)
{
    drmModeRes* res = drmModeGetResources(fd);
    if (!res || res->count_crtcs == 0) {
        drmModeFreeResources(res);
        why = "no CRTC";
        return std::nullopt;
    }
    drmModeCrtc* crtc = drmModeGetCrtc(fd, res->crtcs[0]);
    drmModeFreeResources(res);
    const uint32_t fb_id = crtc ? crtc->buffer_id : 0;
    drmModeFreeCrtc(crtc);
    drmModeFB2* fb = fb_id ? drmModeGetFB2(fd, fb_id) : nullptr;
    if (!fb) {
        why = "no framebuffer on CRTC 0";
        return std::nullopt;
    }
    std::optional<size_t> differing;
    if (fb->width != image.width || fb->height != image.height || fb->handles[0] == 0) {
        why = "framebuffer " + std::to_string(fb->width) + "x" + std::to_string(fb->height) +
              (fb->handles[0] ? "" : " without a handle (not root?)");
    } else {
        drm_mode_map_dumb map{};
        map.handle = fb->handles[0];
        const size_t size = size_t(fb->pitches[0]) * fb->height + fb->offsets[0];
        void* mem = MAP_FAILED;
        if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map) == 0)
            mem = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, off_t(map.offset));
        if (mem == MAP_FAILED) {
            why = std::string("mapping the framebuffer: ") + std::strerror(errno);
        } else {
            size_t n = 0;
            const auto* base = static_cast<const uint8_t*>(mem) + fb->offsets[0];
            for (uint32_t y = 0; y < fb->height; ++y) {
                const auto* row = reinterpret_cast<const uint32_t*>(base + size_t(y) * fb->pitches[0]);
                for (uint32_t x = 0; x < fb->width; ++x)
                    n += (row[x] & 0xffffff) != (image.pixels[size_t{y} * image.width + x] & 0xffffff);
            }
            differing = n;
            ::munmap(mem, size);
        }
    }
    for (uint32_t handle : fb->handles) {
        if (handle) {
            drm_gem_close close{handle, 0};
            drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &close);
            break;  // one buffer, one handle for all planes
        }
    }
    drmModeFreeFB2(fb);
    return differing;
}

int shown(const Image& image)
{
    UniqueFd fd = open_card();
    if (!fd)
        return fail("/dev/dri/card0: " + std::string(std::strerror(errno)));
    CrtcCrc crc;  // vkms only; opened before the wait so that the entries after it queue
    const VblankCounter vblanks;
    const auto start = std::chrono::steady_clock::now();
    std::optional<size_t> differing;
    std::string why;
    // Polled until it matches: the program's drawing, udefio's flush and the flip take their time.
    while (std::chrono::steady_clock::now() - start < 40s) {  // within the case's 60 s watchdog
        differing = differing_on_crtc(fd.get(), image, why);
        if (differing == size_t{0})
            break;
        std::this_thread::sleep_for(50ms);
    }
    const double after = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (char& c : why)
        c = c == ' ' ? '_' : c;  // one key=value word
    std::string crc_value = "none";
    if (crc.available() && differing == size_t{0}) {
        crc_value = crc.settled(vblanks);
        if (crc_value.empty())
            crc_value = "missing";
    }
    std::printf("UDEFIO-FBI-SHOWN match=%d size=%ux%u differing=%lld after=%.2f crc=%s%s%s\n",
                differing == size_t{0} ? 1 : 0, image.width, image.height, differing ? (long long)*differing : -1LL,
                after, crc_value.c_str(), why.empty() ? "" : " why=", why.empty() ? "" : why.c_str());
    std::fflush(stdout);
    return differing == size_t{0} ? 0 : 1;
}

int reference(const Image& image)
{
    auto loop = EventLoop::create();
    if (!loop)
        return fail(loop.error().message());
    CrtcCrc crc;
    if (!crc.available())
        return fail("no CRTC CRC (not vkms?)");
    const VblankCounter vblanks;
    auto backend = KmsBackend::create(**loop, KmsOptions{});
    if (!backend)
        return fail(backend.error().message());
    auto* output = static_cast<KmsOutput*>((*backend)->outputs().front());
    if (output->mode().width != image.width || output->mode().height != image.height)
        return fail("the output's mode is not the image's size");
    DeferredIoOptions explicit_damage;
    explicit_damage.tracker = TrackerKind::explicit_damage;
    auto state = DeferredIoState::create(BufferLayout::make(image.width, image.height).value(), explicit_damage);
    if (!state || !output->attach(*state))
        return fail("attaching the output");
    auto* pixels = reinterpret_cast<uint32_t*>((*state)->buffer().data());
    const uint32_t stride = (*state)->layout().stride / 4;
    for (uint32_t y = 0; y < image.height; ++y)
        std::memcpy(pixels + size_t(y) * stride, image.pixels.data() + size_t(y) * image.width, image.width * 4);
    std::thread loop_thread([&] { (*loop)->run(); });
    const uint64_t flips = output->counters().presented;
    (*state)->add_damage({0, 0, int32_t(image.width), int32_t(image.height)});
    for (int i = 0; i < 3000 && output->counters().presented <= flips; ++i)
        std::this_thread::sleep_for(10ms);
    const std::string value = crc.settled(vblanks);
    (*loop)->stop();
    loop_thread.join();
    std::printf("UDEFIO-FBI-REFERENCE crc=%s\n", value.empty() ? "missing" : value.c_str());
    return value.empty() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc != 3)
        return fail("usage: fbi_check image|image2|shown|reference PATH");
    const std::string command = argv[1], path = argv[2];
    if (command == "image" || command == "image2") {
        UniqueFd fd = open_card();
        auto size = fd ? preferred_mode(fd.get()) : std::nullopt;
        if (!size)
            return fail("no connected connector with a mode on /dev/dri/card0");
        if (auto r = write_png(path, test_image(size->first, size->second, command == "image2")); !r)
            return fail(r.error().message());
        std::printf("UDEFIO-FBI-IMAGE width=%u height=%u\n", size->first, size->second);
        return 0;
    }
    auto image = read_png(path);
    if (!image)
        return fail(image.error().message());
    if (command == "shown")
        return shown(*image);
    if (command == "reference")
        return reference(*image);
    return fail("unknown command " + command);
}
