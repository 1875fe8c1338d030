#pragma once
// A plain RTP transport: RTP and RTCP over UDP with no ICE and no DTLS, optionally SRTP
// with keys exchanged out of band (SDES-style, RFC 4568 suite names). This is how ffmpeg
// or GStreamer push RTP in and how a recorder pulls RTP out.
//
// The remote address is either given (Connect with an address) or, in comedia mode,
// learned: the RTP address from the first RTP packet that authenticates, the RTCP address
// from the first such RTCP packet (the worker decides which transport a packet from an
// unknown address is offered to). Without rtcp-mux the remote sends and receives RTCP on
// a port of its own; with it our RTCP goes to the RTP address. Pure: bytes in, bytes out through a Sender, no
// sockets and no clock.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/units.h"
#include "transport/socket_address.h"
#include "transport/srtp/srtp_session.h"

namespace sfu {

// SDES crypto-suite names (RFC 4568, RFC 7714): "AEAD_AES_256_GCM", "AEAD_AES_128_GCM",
// "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32".
std::string_view SdesSuiteName(SrtpProfile profile);
std::optional<SrtpProfile> SrtpProfileFromSdesName(std::string_view name);

struct PlainTransportOptions {
  bool rtcp_mux = true;
  bool comedia = false;
  std::optional<SrtpProfile> srtp;  // None: plain RTP.
};

struct PlainTransportCounters {
  uint64_t rtp_in = 0;
  uint64_t rtcp_in = 0;
  uint64_t bytes_in = 0;
  uint64_t rtp_out = 0;
  uint64_t rtcp_out = 0;
  uint64_t bytes_out = 0;
  uint64_t srtp_auth_failures = 0;  // Includes replays.
  uint64_t dropped_before_keys = 0;  // SRTP before the remote key was given.
  uint64_t dropped_unknown = 0;      // Not RTP or RTCP.
  uint64_t dropped_not_connected = 0;  // Outgoing with no remote address yet.
};

class PlainTransport {
 public:
  class Sender {
   public:
    virtual ~Sender() = default;
    virtual void SendDatagram(const SocketAddress& to, std::span<const uint8_t> datagram) = 0;
  };
  class Listener {
   public:
    virtual ~Listener() = default;
    // The remote RTP and RTCP addresses as far as known: given by Connect (RTCP only
    // without rtcp-mux) or learned (comedia: RTCP's own source even with rtcp-mux).
    virtual void OnRemoteAddress(const std::optional<SocketAddress>& rtp,
                                 const std::optional<SocketAddress>& rtcp) = 0;
    // Media can flow both ways (remote address and every SRTP key known).
    virtual void OnConnected() = 0;
    virtual void OnRtp(std::span<uint8_t> packet, Timestamp now) = 0;
    virtual void OnRtcp(std::span<uint8_t> packet, Timestamp now) = 0;
  };

  // With SRTP, draws our sending master key and salt from OpenSSL's CSPRNG.
  static StatusOr<std::unique_ptr<PlainTransport>> Create(PlainTransportOptions options, Sender& sender,
                                                          Listener& listener);
  // `remote_rtp`/`remote_rtcp`: required unless comedia (where they must be absent);
  // `remote_rtcp` required without rtcp-mux. `srtp_key` (master key + salt of
  // `srtp_profile`, the remote's sending key): required with SRTP, refused without. Once.
  Status Connect(std::optional<SocketAddress> remote_rtp, std::optional<SocketAddress> remote_rtcp,
                 std::optional<SrtpProfile> srtp_profile, std::span<const uint8_t> srtp_key);

  // One received datagram from `from` (the worker routed it here), decrypted in place.
  void OnPacket(std::span<uint8_t> data, const SocketAddress& from, Timestamp now);

  // Encrypts (with SRTP) the packet in the first `len` bytes of `buffer` (room for
  // SrtpSession::kMaxTrailer more) and sends it to the remote.
  bool SendRtp(std::span<uint8_t> buffer, size_t len);
  bool SendRtcp(std::span<uint8_t> buffer, size_t len);

  const PlainTransportOptions& options() const { return options_; }
  // Our sending master key + salt (empty without SRTP).
  std::span<const uint8_t> local_srtp_key() const { return local_key_; }
  std::optional<SrtpProfile> remote_srtp_profile() const;
  bool connect_called() const { return connect_called_; }
  bool connected() const { return connected_; }
  const std::optional<SocketAddress>& remote_rtp() const { return remote_rtp_; }
  const std::optional<SocketAddress>& remote_rtcp() const { return remote_rtcp_; }
  const PlainTransportCounters& counters() const { return counters_; }

 private:
  PlainTransport(PlainTransportOptions options, Sender& sender, Listener& listener);
  void MaybeConnected();

  PlainTransportOptions options_;
  Sender& sender_;
  Listener& listener_;
  std::vector<uint8_t> local_key_;
  std::unique_ptr<SrtpSession> srtp_in_;
  std::unique_ptr<SrtpSession> srtp_out_;
  std::optional<SocketAddress> remote_rtp_;
  std::optional<SocketAddress> remote_rtcp_;
  bool connect_called_ = false;
  bool connected_ = false;
  PlainTransportCounters counters_;
};

}  // namespace sfu
