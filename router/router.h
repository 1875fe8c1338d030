#pragma once
// A router: one room's media. It owns the producers and consumers created on the
// transports (RtpEndpoints) of the room, and forwards each producer's packets to its
// consumers: decrypted once by the ingress transport, then per consumer rewritten into
// one scratch buffer, handed to the egress transport (which encrypts and queues it for
// the batched send). No allocation per packet. Pure: time passed in, no sockets.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "base/status.h"
#include "router/consumer.h"
#include "router/media_time.h"
#include "router/producer.h"
#include "router/trace_event.h"

namespace sfu {

class RtpEndpoint;

struct RouterOptions {
  ProducerOptions producer;
  MediaClock clock;
  // RFC 3550 section 6.3.1: each endpoint's next report comes after a random 0.5-1.5 times
  // RtpEndpoint::kReportInterval, so endpoints made together do not all report (and load
  // the worker) in the same instant. Off: exactly kReportInterval (tests of timing).
  bool randomize_report_interval = true;
};

class Router {
 public:
  // Events the application hears about (as JSON-RPC notifications).
  class Observer {
   public:
    virtual ~Observer() = default;
    virtual void OnProducerScore(const Producer&) {}
    virtual void OnConsumerScore(const Consumer&) {}
    virtual void OnConsumerProducerPause(const Consumer&) {}
    virtual void OnConsumerProducerResume(const Consumer&) {}
    // The consumer is closed (and destroyed) right after this call.
    virtual void OnConsumerProducerClose(const Consumer&) {}
    // Trace events, for the types enabled with SetTraceTypes on the producer, consumer
    // or endpoint (see trace_event.h). Called on the packet path: keep them cheap, and do
    // not close or create producers, consumers or endpoints, nor change priorities, from them.
    virtual void OnProducerTrace(const Producer&, const TraceEvent&) {}
    virtual void OnConsumerTrace(const Consumer&, const TraceEvent&) {}
    virtual void OnEndpointTrace(const RtpEndpoint&, const TraceEvent&) {}
  };

  Router(std::string id, RouterOptions options, Observer* observer = nullptr);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  const std::string& id() const { return id_; }
  const MediaClock& clock() const { return options_.clock; }
  const RouterOptions& options() const { return options_; }

  StatusOr<Producer*> Produce(RtpEndpoint& endpoint, std::string id, ProducerParams params);
  // A consumer of `producer_id` sent on `endpoint`; a video consumer asks for a keyframe.
  // It joins the producer's fan-out list after the consumers of the same or a higher
  // priority (Consumer::SetPriority).
  StatusOr<Consumer*> Consume(RtpEndpoint& endpoint, std::string id, const std::string& producer_id,
                              ConsumerParams params, Timestamp now);
  // Closing a producer closes its consumers (OnConsumerProducerClose for each).
  Status CloseProducer(const std::string& id);
  Status CloseConsumer(const std::string& id);
  // Closes every producer and consumer of an endpoint (its transport is closing).
  void CloseEndpoint(RtpEndpoint& endpoint);

  Producer* FindProducer(const std::string& id) const;
  Consumer* FindConsumer(const std::string& id) const;
  const std::map<std::string, std::unique_ptr<Producer>>& producers() const { return producers_; }
  const std::map<std::string, std::unique_ptr<Consumer>>& consumers() const { return consumers_; }
  // In fan-out order: by priority, highest first; equal priorities in the order they
  // got it.
  std::vector<Consumer*> ConsumersOf(const Producer& producer) const;
  RtpEndpoint* EndpointOf(const Producer& producer) const;

  Status PauseProducer(const std::string& id);
  Status ResumeProducer(const std::string& id, Timestamp now);
  Status PauseConsumer(const std::string& id);
  Status ResumeConsumer(const std::string& id, Timestamp now);
  // A keyframe for this consumer, from its producer (throttled there).
  void RequestKeyFrame(Consumer& consumer, Timestamp now);

  // From an endpoint: a producer's packet to fan out, to consumers in priority order.
  // Simulcast: each video consumer follows the producer's best active encoding, or, when
  // its endpoint has an outgoing bitrate cap, Producer::EncodingForBitrate(cap) (the
  // highest active encoding whose own receive bitrate fits the cap, else the lowest
  // active one; what the endpoint's other consumers use is not taken into account).
  void Forward(Producer& producer, const Producer::Received& packet, Timestamp now);
  Observer* observer() const { return observer_; }
  std::span<uint8_t> scratch() { return scratch_; }

 private:
  friend class Consumer;
  void RemoveConsumer(Consumer* consumer);
  // Re-sorts a producer's fan-out list by consumer priority (stable).
  void SortFanout(const Producer& producer);
  // The encoding a consumer on an endpoint with outgoing cap `max_bps` should forward.
  static size_t TargetEncoding(const Producer& producer, uint32_t max_bps, Timestamp now);

  std::string id_;
  RouterOptions options_;
  Observer* observer_;
  std::map<std::string, std::unique_ptr<Producer>> producers_;
  std::map<std::string, std::unique_ptr<Consumer>> consumers_;
  absl::flat_hash_map<const Producer*, std::vector<Consumer*>> fanout_;
  absl::flat_hash_map<const Producer*, RtpEndpoint*> producer_endpoint_;
  absl::flat_hash_map<const Consumer*, RtpEndpoint*> consumer_endpoint_;
  std::array<uint8_t, kSendBufferSize> scratch_{};
};

}  // namespace sfu
