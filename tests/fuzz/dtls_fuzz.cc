// Fuzzes a DTLS server session with arbitrary datagrams (the input, split at each
// 2-byte big-endian length). Nothing may crash; the session ends up in some state.

#include <cstddef>
#include <cstdint>

#include "transport/dtls/dtls_session.h"

namespace {

struct Sink : sfu::DtlsSession::Listener {
  void OnDtlsSend(std::span<const uint8_t>) override {}
  void OnDtlsConnected(const std::optional<sfu::SrtpKeys>&) override {}
  void OnDtlsFailed(std::string_view) override {}
  void OnDtlsClosed() override {}
  void OnDtlsData(std::span<const uint8_t>) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* cert = new sfu::DtlsCertificate(std::move(*sfu::DtlsCertificate::Generate()));
  static auto* context = sfu::DtlsContext::Create(*cert)->release();
  Sink sink;
  sfu::DtlsSession session(*context, sink);
  (void)session.Start(sfu::DtlsRole::kServer, "sha-256", cert->fingerprint());
  size_t pos = 0;
  while (pos + 2 <= size) {
    size_t len = (size_t{data[pos]} << 8) | data[pos + 1];
    pos += 2;
    len = len < size - pos ? len : size - pos;
    session.OnPacket({data + pos, len});
    pos += len;
  }
  session.Close();
  return 0;
}
