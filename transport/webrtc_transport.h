#pragma once
// A WebRTC transport: ICE-lite, then DTLS, then SRTP, stacked over one 5-tuple (RFC 8834).
// Bytes in (OnPacket), bytes out (through a Sender), listener calls up; no sockets and no
// clock of its own, so tests drive it with in-memory peers.
//
// Demultiplexing follows RFC 7983 on the first byte: 0-3 STUN, 20-63 DTLS, 128-191
// RTP/RTCP; RTP and RTCP are told apart by payload type (RFC 5761 section 4).

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/units.h"
#include "transport/dtls/dtls_session.h"
#include "transport/ice/ice_lite_agent.h"
#include "transport/srtp/srtp_session.h"

namespace sfu {

struct WebRtcTransportCounters {
  uint64_t rtp_in = 0;
  uint64_t rtcp_in = 0;
  uint64_t bytes_in = 0;
  uint64_t rtp_out = 0;
  uint64_t rtcp_out = 0;
  uint64_t bytes_out = 0;
  uint64_t srtp_auth_failures = 0;  // Includes replays.
  uint64_t dropped_not_selected = 0;  // DTLS/RTP from a tuple ICE has not selected.
  uint64_t dropped_before_srtp = 0;   // RTP/RTCP before DTLS finished.
  uint64_t dropped_unknown = 0;       // Not STUN, DTLS, RTP or RTCP.
};

class WebRtcTransport final : public ice::IceLiteAgent::Listener, public DtlsSession::Listener {
 public:
  class Sender {
   public:
    virtual ~Sender() = default;
    virtual void SendTo(const ice::Tuple& tuple, std::span<const uint8_t> datagram) = 0;
  };
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void OnIceStateChange(ice::State state) = 0;
    virtual void OnIceSelectedTupleChange(const ice::Tuple& tuple) = 0;
    virtual void OnDtlsStateChange(DtlsState state, std::string_view reason) = 0;
    // Decrypted packets; the span may be modified in place (the router rewrites headers).
    virtual void OnRtp(std::span<uint8_t> packet, Timestamp now) = 0;
    virtual void OnRtcp(std::span<uint8_t> packet, Timestamp now) = 0;
  };

  WebRtcTransport(DtlsContext& dtls_context, ice::Credentials local_ice, Sender& sender,
                  Listener& listener, TimeDelta consent_timeout = TimeDelta::Seconds(30));
  ~WebRtcTransport() override;

  // The peer's parameters: its ICE ufrag, and its DTLS role and fingerprint. Our role is
  // the other one; as client we start the handshake once ICE has a path.
  Status Connect(std::string remote_ice_ufrag, DtlsRole local_role,
                 std::string fingerprint_algorithm, std::string fingerprint);

  // One received datagram (or RFC 4571 frame), decrypted in place when it is SRTP.
  void OnPacket(std::span<uint8_t> data, const ice::Tuple& from, Timestamp now);
  // A STUN message already parsed by the caller (who routed it by its USERNAME).
  void OnStun(const stun::StunMessage& message, const ice::Tuple& from, Timestamp now);
  void OnTimer(Timestamp now);

  // Encrypts the packet held in the first `len` bytes of `buffer` (which has room for
  // SrtpSession::kMaxTrailer more) and sends it on the selected tuple.
  bool SendRtp(std::span<uint8_t> buffer, size_t len);
  bool SendRtcp(std::span<uint8_t> buffer, size_t len);

  void RestartIce(ice::Credentials local, std::string remote_ufrag);
  void Close();

  const ice::IceLiteAgent& ice() const { return ice_; }
  const DtlsSession& dtls() const { return dtls_; }
  bool srtp_ready() const { return srtp_in_ && srtp_out_; }
  std::optional<SrtpProfile> srtp_profile() const;
  const WebRtcTransportCounters& counters() const { return counters_; }

 private:
  // ice::IceLiteAgent::Listener
  void OnIceStateChange(ice::State state) override;
  void OnSelectedTupleChange(const ice::Tuple& tuple) override;
  // DtlsSession::Listener
  void OnDtlsSend(std::span<const uint8_t> datagram) override;
  void OnDtlsConnected(const std::optional<SrtpKeys>& keys) override;
  void OnDtlsFailed(std::string_view reason) override;
  void OnDtlsClosed() override;
  void OnDtlsData(std::span<const uint8_t> data) override;

  void MaybeStartDtls();
  void OnSrtp(std::span<uint8_t> data, Timestamp now);

  Sender& sender_;
  Listener& listener_;
  ice::IceLiteAgent ice_;
  DtlsSession dtls_;
  std::optional<DtlsRole> dtls_role_;
  std::string fingerprint_algorithm_;
  std::string fingerprint_;
  bool dtls_started_ = false;
  std::unique_ptr<SrtpSession> srtp_in_;
  std::unique_ptr<SrtpSession> srtp_out_;
  WebRtcTransportCounters counters_;
  uint8_t stun_out_[512];
  bool closed_ = false;
};

}  // namespace sfu
