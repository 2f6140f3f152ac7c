#include "compositor/client_connection.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "util/log.hpp"
#include "util/scm_rights.hpp"

namespace udefio {
namespace {

std::atomic<uint32_t> next_client_id{1};

}  // namespace

Result<std::unique_ptr<ClientConnection>> ClientConnection::start(EventLoop& loop, UniqueFd socket, Handler& handler)
{
    auto peer = PeerProcess::of_socket(socket.get());
    if (!peer)
        return peer.error();
    auto client = std::make_unique<ClientConnection>(loop, std::move(socket), handler,
                                                     next_client_id.fetch_add(1), std::move(peer).value());
    auto watch = loop.watch_readable(client->socket_.get(), [c = client.get()] { c->on_readable(); });
    if (!watch)
        return watch.error();
    client->watch_ = std::move(watch).value();
    return client;
}

ClientConnection::ClientConnection(EventLoop& loop, UniqueFd socket, Handler& handler, uint32_t id, PeerProcess peer)
    : loop_(loop),
      socket_(std::move(socket)),
      handler_(handler),
      id_(id),
      peer_(std::move(peer)),
      self_(std::make_shared<ClientConnection*>(this))
{
}

void ClientConnection::on_readable()
{
    // A bounded number per wakeup, so that one busy client cannot starve the
    // loop; fewer when one of them was costly (end_wakeup) or must be finished first (pause).
    wakeup_ended_ = false;
    for (int n = 0; n < kMaxRequestsPerWakeup && !gone_ && !paused_ && !wakeup_ended_; ++n) {
        std::byte data[wire::kMaxMessage + 1];
        ReceivedPacket packet = receive_with_fds(socket_.get(), data, wire::kMaxFds + 3, MSG_DONTWAIT);
        if (packet.bytes < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            return end(std::string("read: ") + std::strerror(errno));
        }
        const size_t got = size_t(packet.bytes);
        std::vector<UniqueFd>& fds = packet.fds;
        if (got == 0 && fds.empty() && peer_hung_up())
            return end("disconnected");
        if (packet.fds_truncated)
            return fail(wire::ErrorCode::bad_fd, "more fds than a message may carry");
        if (packet.truncated)
            return fail(wire::ErrorCode::bad_message,
                        "oversized message: more than " + std::to_string(wire::kMaxMessage) + " bytes");
        auto request = wire::decode_request(std::span(data, got), fds.size());
        if (!request)
            return fail(fds.size() > wire::kMaxFds ? wire::ErrorCode::bad_fd : wire::ErrorCode::bad_message,
                        request.error().message());
        handler_.on_request(*this, *request, fds.empty() ? UniqueFd() : std::move(fds.front()));
    }
}

bool ClientConnection::peer_hung_up() const
{
    pollfd p{socket_.get(), POLLRDHUP, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

void ClientConnection::send(const wire::Event& event)
{
    if (auto sent = send(event, -1); !sent)
        UDEFIO_LOG(error, "client %u: %s", id_, sent.error().message().c_str());
}

Result<void> ClientConnection::send(const wire::Event& event, int fd)
{
    const std::string_view name = wire::opcode_name(std::visit([](const auto& m) { return m.opcode; }, event));
    if (wire::fds_of(event) != (fd >= 0 ? 1 : 0))
        return plain_error(std::string(name) + " must carry " + std::to_string(wire::fds_of(event)) + " fds");
    if (gone_)
        return {};
    Packet packet{wire::encode(event), UniqueFd()};
    if (fd >= 0) {
        packet.fd.reset(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
        if (!packet.fd)
            return errno_error("duplicate the fd of " + std::string(name) + " for client " + std::to_string(id_));
    }
    queue_.push_back(std::move(packet));
    if (queue_.size() > kMaxQueuedEvents) {
        end("it does not read its socket (" + std::to_string(kMaxQueuedEvents) + " events queued)");
        return {};
    }
    if (!flush_queue() && !gone_ && queue_.size() > kMaxQueuedEvents / 2)
        UDEFIO_LOG(debug, "client %u: %zu events queued", id_, queue_.size());
    return {};
}

void ClientConnection::pause()
{
    if (gone_ || paused_)
        return;
    paused_ = true;
    watch_.disarm();
}

void ClientConnection::resume()
{
    if (gone_ || !paused_)
        return;
    paused_ = false;
    watch_.rearm();  // level-triggered: what waited in the socket is read at the next wakeup
}

bool ClientConnection::flush_queue()
{
    while (!queue_.empty()) {
        Packet& p = queue_.front();
        if (send_with_fd(socket_.get(), p.bytes, p.fd.get(), MSG_DONTWAIT) < 0) {
            if (errno != EAGAIN && errno != EINTR)
                end(std::string("write: ") + std::strerror(errno));
            return false;
        }
        queue_.pop_front();
    }
    return true;
}

void ClientConnection::fail(wire::ErrorCode code, const std::string& why)
{
    if (gone_)
        return;
    UDEFIO_LOG(warn, "client %u (pid %d): protocol error: %s; disconnecting it", id_, int(pid()), why.c_str());
    send(wire::make_error(code, why));
    end("protocol error: " + why);
}

void ClientConnection::end(const std::string& why)
{
    if (gone_)
        return;
    gone_ = true;
    watch_ = EventSource();
    queue_.clear();
    ::shutdown(socket_.get(), SHUT_RDWR);
    loop_.post([weak = std::weak_ptr<ClientConnection*>(self_), why] {
        if (auto self = weak.lock())
            (*self)->handler_.on_gone(**self, why);
    });
}

}  // namespace udefio
