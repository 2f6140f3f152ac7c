// A minimal Wayland compositor for tests of the Wayland backend, on a thread
// of its own: wl_compositor 4, libwayland-server's wl_shm and xdg_wm_base,
// nothing else (so no wp_presentation: frame callbacks stand in). It records
// every commit with a copy of the buffer's pixels and checks that the client
// never writes a buffer the compositor holds. The test decides when frame
// callbacks are answered and buffers released, and sends configures,
// protocol errors and hang-ups. One client with one window, as udefio is.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "util/rect.hpp"

namespace udefio::test {

struct FakeCommit {
    uint32_t width = 0;  // 0: no buffer attached
    uint32_t height = 0;
    std::vector<uint32_t> pixels;
    std::vector<Rect> damage;
    uint32_t acked_serial = 0;  // the last ack_configure before it
    int32_t buffer_transform = 0;  // the surface's (wl_output_transform) with this commit
};

struct FakeOptions {
    bool xdg_shell = true;
    bool answer_frames = true;      // answer frame callbacks right after each commit
    bool release_on_commit = true;  // release the buffer a commit replaces, as weston does
    uint32_t width = 0;             // the first configure; 0x0 leaves the size to the client
    uint32_t height = 0;
};

struct FakeState {
    std::vector<FakeCommit> commits;
    uint32_t last_serial = 0;  // of the last configure sent
    bool fullscreen_requested = false;
    int held_buffer_writes = 0;  // times a buffer changed while the compositor held it
};

class FakeCompositor {
public:
    // Listens on $XDG_RUNTIME_DIR/<socket>.
    FakeCompositor(const std::string& socket, FakeOptions options);
    ~FakeCompositor();

    // Each runs on the compositor's thread and returns when done.
    void configure(uint32_t width, uint32_t height);
    void answer_frames();  // the frame callbacks of the commits so far
    void release_held();   // every buffer it holds but the one it shows
    void post_protocol_error();
    void close_window();  // xdg_toplevel.close: the user closed it
    void disconnect_clients();

    FakeState state() const;
    // Waits up to 5 s for pred(state) to hold.
    bool wait_for(const std::function<bool(const FakeState&)>& pred) const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace udefio::test
