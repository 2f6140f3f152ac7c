// Writes the seed corpus of fuzz_wire: one file per message type, valid, in
// the fuzzer's input format (a byte with the fd count, then the packet).
//   make_corpus DIR
#include <cstdio>
#include <string>

#include "protocol/wire.hpp"

using namespace udefio::wire;

namespace {

template <class Message>
bool write(const std::string& dir, const Message& message)
{
    const auto bytes = encode(message);
    const std::string path = dir + "/" + std::string(opcode_name(reinterpret_cast<const Header*>(bytes.data())->opcode));
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f)
        return false;
    const unsigned char fds = static_cast<unsigned char>(fds_of(message));
    const bool ok = std::fwrite(&fds, 1, 1, f) == 1 && std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_corpus DIR\n");
        return 2;
    }
    const std::string dir = argv[1];
    bool ok = true;
    for (const Request& r : {Request(Hello{kVersion}), Request(CreateSurface{1}), Request(LeaseBuffer{1, 2, 0, 8192}),
                             Request(DamageRect{1, 0, 0, 64, 64}), Request(Commit{1, 1}), Request(AttachFence{1}),
                             Request(DestroySurface{1}), Request(ReleaseLease{2}), Request(TrackLease{2, 0, 0x7f0000000000}),
                             Request(CreateSurfaceOn{1, 1}), Request(RequestFocus{1})})
        ok &= write(dir, r);
    for (const Event& e : {Event(Welcome{kVersion}), Event(Configure{1, 640, 480, 2560, 0x34325258}),
                           Event(Leased{1, 2, 0, 8192, 2560, 0}), Event(Frame{1, 1}), Event(Presented{1, 1, 5, 6}),
                           Event(Revoked{2, 1}), Event(make_error(ErrorCode::bad_message, "seed")),
                           Event(make_output_info(1, "headless-0", 640, 480, 2560, 60'000)), Event(OutputRemoved{1}),
                           Event(SurfaceOutput{1, 1}), Event(Focus{1, 1}), Event(Key{1, 1, 5, 30, 0x61, 0, 0, 0, 0, "a"}),
                           Event(PointerMotion{1, 0, 5, 256, 512, 256, 0}), Event(PointerButton{1, 1, 5, 0x110, 0, 0, 0}),
                           Event(PointerAxis{1, 0, 5, 3840, 0, 120, 0, 0, 0}), Event(TouchDown{1, 0, 5, 256, 256}),
                           Event(TouchMotion{1, 0, 5, 512, 512}), Event(TouchUp{1, 0, 5}), Event(TouchFrame{1}),
                           Event(TouchCancel{1})})
        ok &= write(dir, e);
    return ok ? 0 : 1;
}
