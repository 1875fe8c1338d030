#pragma once
// The ICE-lite agent of one transport (RFC 8445 sections 2.5, 6.1.1 and 7.3): it never
// sends checks, it answers them. It validates each Binding request (fingerprint,
// USERNAME, MESSAGE-INTEGRITY with the local password, role), writes the response,
// selects the tuple the peer nominates (switching when the peer moves), and tracks
// consent freshness (RFC 7675) from the peer's checks. Pure logic: STUN bytes and the
// time in, a response and listener calls out.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/units.h"
#include "transport/ice/stun_message.h"
#include "transport/socket_address.h"

namespace sfu::ice {

struct Credentials {
  std::string ufrag;
  std::string pwd;
};

enum class Protocol : uint8_t { kUdp, kTcp };

// Where a packet came from: for TCP also which connection (RFC 6544), since two TCP
// connections from one address are distinct tuples.
struct Tuple {
  SocketAddress remote;
  Protocol protocol = Protocol::kUdp;
  uint64_t connection = 0;
  bool operator==(const Tuple&) const = default;
};

enum class State : uint8_t { kNew, kConnected, kCompleted, kDisconnected, kClosed };
std::string_view StateName(State s);

// Why a packet got no success response.
enum class Drop : uint8_t {
  kNone,
  kNotRequest,        // Not a Binding request (indications and responses are ignored).
  kBadFingerprint,    // Missing or wrong FINGERPRINT.
  kBadIntegrity,      // MESSAGE-INTEGRITY does not verify with the local password.
  kBadRequest,        // 400 sent: USERNAME, MESSAGE-INTEGRITY or PRIORITY missing.
  kUnknownUsername,   // 401 sent: USERNAME is not ours.
  kRoleConflict,      // 487 sent: the peer claims the controlled role too.
  kUnknownAttribute,  // 420 sent: a comprehension-required attribute we do not know.
  kClosed,
  kNoBuffer,          // The response did not fit the output buffer.
};
std::string_view DropName(Drop d);

struct Counters {
  uint64_t requests = 0;
  uint64_t responses = 0;
  uint64_t bad_fingerprint = 0;
  uint64_t bad_integrity = 0;
  uint64_t bad_request = 0;
  uint64_t unknown_username = 0;
  uint64_t role_conflicts = 0;
  uint64_t unknown_attribute = 0;
  uint64_t tuple_switches = 0;
};

class IceLiteAgent {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void OnIceStateChange(State state) = 0;
    virtual void OnSelectedTupleChange(const Tuple& tuple) = 0;
  };

  // `consent_timeout` zero disables consent freshness.
  IceLiteAgent(Credentials local, Listener& listener,
               TimeDelta consent_timeout = TimeDelta::Seconds(30));

  // The peer's ufrag, once signaled; until then any remote ufrag is accepted.
  void SetRemoteUfrag(std::string ufrag) { remote_ufrag_ = std::move(ufrag); }

  struct Result {
    Drop drop = Drop::kNone;
    std::span<const uint8_t> response;  // Bytes to send back on the same tuple (may be empty).
  };
  // Handles a STUN message that arrived on `tuple` at `now`; the response, if any, is
  // written into `out`.
  Result OnStun(const stun::StunMessage& message, const Tuple& tuple, Timestamp now,
                std::span<uint8_t> out);

  // Call periodically (every second or so): consent freshness.
  void OnTimer(Timestamp now);

  // ICE restart (RFC 8445 section 9): new local credentials (and the peer's new ufrag);
  // the selected tuple is kept until the peer nominates another.
  void Restart(Credentials local, std::string remote_ufrag);
  void Close();

  State state() const { return state_; }
  const Credentials& local() const { return local_; }
  const std::string& remote_ufrag() const { return remote_ufrag_; }
  const std::optional<Tuple>& selected() const { return selected_; }
  const Counters& counters() const { return counters_; }
  // Whether a packet from `tuple` belongs to this agent's selected path.
  bool IsSelected(const Tuple& tuple) const { return selected_ && *selected_ == tuple; }

 private:
  Result Error(const stun::StunMessage& m, int code, std::string_view reason, Drop drop,
               std::span<uint8_t> out, bool with_integrity);
  void SetState(State s);
  bool UsernameMatches(std::string_view username) const;

  Credentials local_;
  std::string remote_ufrag_;
  Listener& listener_;
  TimeDelta consent_timeout_;
  State state_ = State::kNew;
  std::optional<Tuple> selected_;
  Timestamp last_consent_;
  Counters counters_;
};

}  // namespace sfu::ice
