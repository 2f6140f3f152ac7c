// Runs inside the QEMU guest (tests/vm/test_kms.py): drives the KMS backend
// with a client that draws without reporting damage, and asks the host for a
// screendump after each step, so the host can check the real scanout:
//   a: a full-screen pattern      b: a, plus one square drawn afterwards
// and then reports how many bytes a second small change cost. With
// --transform T the pattern is drawn into the upright (logical) frame and
// the host checks that the panel shows it turned (only screendump a).
// It prints the output's counters for the host to check FB_DAMAGE_CLIPS use.
// On vkms, which has no screen to dump, it reads the CRTC's CRC instead and
// compares the final picture with the same picture shown by a plain
// full-frame copy.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tools/crc/crtc_crc.hpp"
#include "backends/kms/kms_backend.hpp"
#include "tests/vm/screendump.hpp"

using namespace udefio;
using namespace std::chrono_literals;

using test::screendump;

namespace {

uint32_t pattern(uint32_t x, uint32_t y) { return ((x * 7) ^ (y * 13)) & 0x00ffffffu; }

int fail(const std::string& what)
{
    std::fprintf(stderr, "kms_check: %s\n", what.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv)
{
    bool atomic = true, gbm = false, plane_rotation = true, blank = false;
    std::optional<Transform> transform;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--no-atomic") == 0)
            atomic = false;
        else if (std::strcmp(argv[i], "--gbm") == 0)
            gbm = true;
        else if (std::strcmp(argv[i], "--blank") == 0)
            blank = true;
        else if (std::strcmp(argv[i], "--no-plane-rotation") == 0)
            plane_rotation = false;
        else if (std::strcmp(argv[i], "--transform") == 0 && i + 1 < argc && (transform = parse_transform(argv[++i])))
            continue;
        else
            return fail(std::string("unknown or bad argument ") + argv[i]);
    }
    auto loop = EventLoop::create();
    if (!loop)
        return fail(loop.error().message());
    KmsOptions kms_options{"", std::nullopt, atomic, gbm ? AllocatorKind::gbm : AllocatorKind::dumb};
    kms_options.transforms.others = transform.value_or(Transform::normal);
    kms_options.plane_rotation = plane_rotation;
    auto backend = KmsBackend::create(**loop, kms_options);
    if (!backend)
        return fail(backend.error().message());
    auto* output = static_cast<KmsOutput*>((*backend)->outputs().front());
    // The frame drawn: the panel's mode turned (the same when upright).
    const Size frame = output->frame_size();
    const OutputMode mode{uint32_t(frame.width), uint32_t(frame.height), output->mode().refresh_mhz};
    DeferredIoOptions options;
    options.delay = 10ms;
    auto state = DeferredIoState::create(BufferLayout::make(mode.width, mode.height).value(), options);
    if (!state)
        return fail(state.error().message());
    if (auto r = output->attach(*state); !r)
        return fail(r.error().message());
    std::thread loop_thread([&] { (*loop)->run(); });
    CrtcCrc crc;  // vkms only
    const VblankCounter vblanks;
    std::string crc_a, crc_b, crc_c;

    auto* pixels = reinterpret_cast<uint32_t*>((*state)->buffer().data());
    const uint32_t stride = (*state)->layout().stride / 4;
    // Until the drawing is on screen: its first flip, then what the tracker
    // still holds flushed here (pages written during that copy), and every
    // commit flipped. Bounded: a lost flip shows in the picture check after.
    auto wait_presented = [&](uint64_t flips_before) {
        auto until = [](auto pred) {
            const auto end = std::chrono::steady_clock::now() + 10s;
            while (!pred() && std::chrono::steady_clock::now() < end)
                std::this_thread::sleep_for(5ms);
        };
        until([&] { return output->counters().presented > flips_before; });
        (*state)->flush_now();
        until([&] {
            const OutputCounters c = output->counters();
            return c.presented >= c.commits;
        });
    };

    uint64_t flips = output->counters().presented;
    for (uint32_t y = 0; y < mode.height; ++y)
        for (uint32_t x = 0; x < mode.width; ++x)
            pixels[y * stride + x] = pattern(x, y);
    wait_presented(flips);
    const std::string suffix = blank ? std::string(atomic ? "-blank" : "-blank-legacy") : transform ? "-" + std::string(transform_name(*transform)) + (plane_rotation ? "" : "-copy")
                               : gbm      ? "-gbm"
                               : atomic   ? ""
                                          : "-legacy";  // one boot runs each
    const bool a = crc.available() || screendump("a" + suffix);
    if (crc.available())
        crc_a = crc.settled(vblanks);
    if (blank) {
        // Output::set_blanked (what --blank-after calls): CRTC
        // ACTIVE 0 (atomic) or the connector's DPMS off (legacy); nothing is
        // committed while off; a flush (something drew) switches it on and
        // shows the new picture.
        const int fd = (*backend)->device().fd();
        auto read_state = [&] {
            return atomic ? DrmProperties::read(fd, output->crtc_id(), DRM_MODE_OBJECT_CRTC).value("ACTIVE")
                          : DrmProperties::read(fd, output->connector_id(), DRM_MODE_OBJECT_CONNECTOR).value("DPMS");
        };
        // Runs `call` on the loop thread (where blanking is done) and waits for it.
        auto on_loop = [&](auto call) {
            std::promise<Result<void>> done;
            (*loop)->post([&] { done.set_value(call()); });
            return done.get_future().get();
        };
        const auto before = read_state();
        if (auto r = on_loop([&] { return output->set_blanked(true); }); !r)
            return fail("set_blanked(true): " + r.error().message());
        const auto blanked_state = read_state();
        const uint64_t commits_off = output->counters().commits;
        const bool dumped_off = screendump("off" + suffix);
        const uint64_t commits_before_draw = output->counters().commits;
        flips = output->counters().presented;
        for (uint32_t y = 100; y < 164; ++y)
            for (uint32_t x = 200; x < 264; ++x)
                pixels[y * stride + x] = 0x00ff0000u;
        wait_presented(flips);
        const auto after = read_state();
        const bool dumped_on = screendump("on" + suffix);
        std::printf("UDEFIO-KMS-BLANK %s before=%lld off=%lld on=%lld blanked_after_draw=%d commits_while_off=%llu "
                    "commits_after=%llu\n",
                    atomic ? "ACTIVE" : "DPMS", (long long)before.value_or(-1), (long long)blanked_state.value_or(-1),
                    (long long)after.value_or(-1), output->blanked() ? 1 : 0,
                    static_cast<unsigned long long>(commits_before_draw - commits_off),
                    static_cast<unsigned long long>(output->counters().commits - commits_off));

        // Output::hold_blanked (FBIOBLANK): off, and what is drawn keeps it
        // off (flushed, not committed); released, it comes on showing it.
        if (auto r = on_loop([&] { return output->hold_blanked(true); }); !r)
            return fail("hold_blanked(true): " + r.error().message());
        const auto held_state = read_state();
        const uint64_t commits_held = output->counters().commits;
        const uint64_t flushes_held = (*state)->stats().flushes;
        for (uint32_t y = 100; y < 164; ++y)
            for (uint32_t x = 300; x < 364; ++x)
                pixels[y * stride + x] = 0x0000ff00u;
        const auto end = std::chrono::steady_clock::now() + 10s;
        while ((*state)->stats().flushes == flushes_held && std::chrono::steady_clock::now() < end)
            std::this_thread::sleep_for(5ms);
        const bool flushed_held = (*state)->stats().flushes > flushes_held;
        const auto held_after_draw = read_state();
        const uint64_t commits_while_held = output->counters().commits - commits_held;
        flips = output->counters().presented;
        if (auto r = on_loop([&] { return output->hold_blanked(false); }); !r)
            return fail("hold_blanked(false): " + r.error().message());
        wait_presented(flips);
        const auto released_state = read_state();
        const bool dumped_released = screendump("released" + suffix);
        std::printf("UDEFIO-KMS-HOLD %s held=%lld flushed=%d after_draw=%lld commits_while_held=%llu released=%lld\n",
                    atomic ? "ACTIVE" : "DPMS", (long long)held_state.value_or(-1), flushed_held ? 1 : 0,
                    (long long)held_after_draw.value_or(-1), static_cast<unsigned long long>(commits_while_held),
                    (long long)released_state.value_or(-1));
        (*loop)->stop();
        loop_thread.join();
        backend->reset();
        state->reset();
        return a && dumped_off && dumped_on && dumped_released ? 0 : fail("screendump failed");
    }
    if (transform) {
        std::printf("UDEFIO-KMS-TURNED panel=%ux%u frame=%ux%u transform=%s by=%s crc=%s\n", output->mode().width,
                    output->mode().height, mode.width, mode.height, std::string(transform_name(*transform)).c_str(),
                    output->plane_turns() ? "plane" : "copy", crc.available() ? crc_a.c_str() : "none");
        (*loop)->stop();
        loop_thread.join();
        backend->reset();
        state->reset();
        return a ? 0 : fail("screendump failed");
    }

    flips = output->counters().presented;
    for (uint32_t y = 100; y < 164; ++y)
        for (uint32_t x = 200; x < 264; ++x)
            pixels[y * stride + x] = 0x00ff0000u;
    wait_presented(flips);
    const bool b = crc.available() || screendump("b" + suffix);
    if (crc.available())
        crc_b = crc.settled(vblanks);

    // A second small change: now both buffers are current, so what is copied
    // is this square and the first one (which the other buffer missed). Its
    // commit waits on a fence (the previous commit's, which is what a client
    // hands over: a sync_file) through IN_FENCE_FD.
    if (auto fence = output->out_fence())
        output->set_in_fence(fence);
    flips = output->counters().presented;
    const OutputCounters before = output->counters();
    for (uint32_t y = 300; y < 316; ++y)
        for (uint32_t x = 400; x < 416; ++x)
            pixels[y * stride + x] = 0x0000ff00u;
    wait_presented(flips);
    const OutputCounters after = output->counters();
    const KmsCounters kms_after = output->kms_counters();
    if (crc.available())
        crc_c = crc.settled(vblanks);

    std::string allocator = (*backend)->allocator().describe();  // "gbm (dri)": one word for the report
    std::replace(allocator.begin(), allocator.end(), ' ', '_');
    std::printf("UDEFIO-KMS width=%u height=%u atomic=%d allocator=%s damage_clips_supported=%d clips=%llu "
                "square_bytes=%llu out_fences=%llu fences_signalled=%llu flips=%llu in_fences=%llu vblank_timed=%d "
                "commits=%llu\n",
                mode.width, mode.height, atomic ? 1 : 0, allocator.c_str(),
                output->damage_clips_supported() ? 1 : 0,
                static_cast<unsigned long long>(kms_after.damage_clips),
                static_cast<unsigned long long>(after.bytes_copied - before.bytes_copied),
                static_cast<unsigned long long>(kms_after.out_fences),
                static_cast<unsigned long long>(after.fences_signalled),
                static_cast<unsigned long long>(after.presented),
                static_cast<unsigned long long>(kms_after.in_fences), output->vblank_timing().aimed ? 1 : 0,
                static_cast<unsigned long long>(after.commits));
    (*loop)->stop();
    loop_thread.join();
    std::vector<uint32_t> final_picture(pixels, pixels + size_t(stride) * mode.height);
    backend->reset();
    state->reset();
    if (crc.available()) {
        // The same picture through a plain full-frame copy: no tracking, no
        // page damage, no buffer ages. vkms must compose the same CRC.
        auto reference = KmsBackend::create(**loop, KmsOptions{"", std::nullopt, atomic});
        if (!reference)
            return fail(reference.error().message());
        auto* ref_output = static_cast<KmsOutput*>((*reference)->outputs().front());
        DeferredIoOptions explicit_damage;
        explicit_damage.tracker = TrackerKind::explicit_damage;
        auto ref_state = DeferredIoState::create(BufferLayout::make(mode.width, mode.height).value(), explicit_damage);
        if (!ref_state || !ref_output->attach(*ref_state))
            return fail("reference output");
        std::thread ref_loop([&] { (*loop)->run(); });
        std::memcpy((*ref_state)->buffer().data(), final_picture.data(), final_picture.size() * 4);
        const uint64_t ref_flips = ref_output->counters().presented;
        (*ref_state)->add_damage({0, 0, int32_t(mode.width), int32_t(mode.height)});
        for (int i = 0; i < 500 && ref_output->counters().presented <= ref_flips; ++i)
            std::this_thread::sleep_for(10ms);
        const std::string crc_ref = crc.settled(vblanks);
        (*loop)->stop();
        ref_loop.join();
        reference->reset();
        std::printf("UDEFIO-CRC a=%s b=%s c=%s reference=%s\n", crc_a.c_str(), crc_b.c_str(), crc_c.c_str(),
                    crc_ref.c_str());
    }
    return a && b ? 0 : fail("screendump failed");
}
