#include "router/router.h"

#include <algorithm>

#include "base/str_cat.h"
#include "router/rtp_endpoint.h"

namespace sfu {

Router::Router(std::string id, RouterOptions options, Observer* observer)
    : id_(std::move(id)), options_(options), observer_(observer) {}

Router::~Router() {
  // Consumers first: they refer to producers.
  for (auto& [id, c] : consumers_) {
    if (auto it = consumer_endpoint_.find(c.get()); it != consumer_endpoint_.end()) it->second->RemoveConsumer(c.get());
  }
  consumers_.clear();
  for (auto& [id, p] : producers_) {
    if (auto it = producer_endpoint_.find(p.get()); it != producer_endpoint_.end()) it->second->RemoveProducer(p.get());
  }
}

StatusOr<Producer*> Router::Produce(RtpEndpoint& endpoint, std::string id, ProducerParams params) {
  if (producers_.contains(id)) return InvalidStateError(StrCat("producer ", id, " already exists"));
  if (params.kind != "audio" && params.kind != "video") {
    return InvalidParamsError("params.kind", "must be \"audio\" or \"video\"");
  }
  if (params.codecs.empty()) return InvalidParamsError("params.rtpParameters.codecs", "needs a codec");
  auto producer = std::make_unique<Producer>(id, std::move(params), options_.producer, endpoint.sink(),
                                             endpoint.rtcp_ssrc());
  Producer* p = producer.get();
  p->router_ = this;
  producers_[id] = std::move(producer);
  fanout_[p];
  producer_endpoint_[p] = &endpoint;
  endpoint.AddProducer(p);
  return p;
}

StatusOr<Consumer*> Router::Consume(RtpEndpoint& endpoint, std::string id, const std::string& producer_id,
                                    ConsumerParams params, Timestamp now) {
  Producer* producer = FindProducer(producer_id);
  if (!producer) return NotFoundError(StrCat("no producer ", producer_id));
  if (consumers_.contains(id)) return InvalidStateError(StrCat("consumer ", id, " already exists"));
  if (params.kind != producer->kind()) return InvalidParamsError("params.kind", "differs from the producer's");
  auto consumer = std::make_unique<Consumer>(id, *producer, std::move(params), endpoint.sink());
  Consumer* c = consumer.get();
  c->router_ = this;
  c->endpoint_ = &endpoint;
  if (producer->paused()) c->SetProducerPaused(true);
  c->SetEncoding(producer->video() ? TargetEncoding(*producer, endpoint.max_outgoing_bitrate(), now)
                                   : producer->BestEncoding(now));
  consumers_[id] = std::move(consumer);
  auto& list = fanout_[producer];
  // After every consumer of the same or a higher priority (the list is sorted).
  list.insert(std::upper_bound(list.begin(), list.end(), c,
                               [](const Consumer* a, const Consumer* b) { return a->priority() > b->priority(); }),
              c);
  consumer_endpoint_[c] = &endpoint;
  endpoint.AddConsumer(c);
  if (producer->video() && endpoint.connected() && !c->paused()) producer->RequestKeyFrame(c->encoding(), now);
  return c;
}

void Router::SortFanout(const Producer& producer) {
  auto it = fanout_.find(&producer);
  if (it == fanout_.end()) return;
  std::stable_sort(it->second.begin(), it->second.end(),
                   [](const Consumer* a, const Consumer* b) { return a->priority() > b->priority(); });
}

size_t Router::TargetEncoding(const Producer& producer, uint32_t max_bps, Timestamp now) {
  if (producer.encoding_count() <= 1) return 0;
  return max_bps ? producer.EncodingForBitrate(max_bps, now) : producer.BestEncoding(now);
}

void Router::RemoveConsumer(Consumer* c) {
  auto& list = fanout_[&c->producer()];
  std::erase(list, c);
  if (auto it = consumer_endpoint_.find(c); it != consumer_endpoint_.end()) {
    it->second->RemoveConsumer(c);
    consumer_endpoint_.erase(it);
  }
  consumers_.erase(c->id());
}

Status Router::CloseConsumer(const std::string& id) {
  Consumer* c = FindConsumer(id);
  if (!c) return NotFoundError(StrCat("no consumer ", id));
  RemoveConsumer(c);
  return absl::OkStatus();
}

Status Router::CloseProducer(const std::string& id) {
  Producer* p = FindProducer(id);
  if (!p) return NotFoundError(StrCat("no producer ", id));
  for (Consumer* c : std::vector<Consumer*>(fanout_[p])) {
    if (observer_) observer_->OnConsumerProducerClose(*c);
    RemoveConsumer(c);
  }
  fanout_.erase(p);
  if (auto it = producer_endpoint_.find(p); it != producer_endpoint_.end()) {
    it->second->RemoveProducer(p);
    producer_endpoint_.erase(it);
  }
  producers_.erase(id);
  return absl::OkStatus();
}

void Router::CloseEndpoint(RtpEndpoint& endpoint) {
  for (Consumer* c : std::vector<Consumer*>(endpoint.consumers())) RemoveConsumer(c);
  for (Producer* p : std::vector<Producer*>(endpoint.producers())) CloseProducer(p->id()).IgnoreError();
}

Producer* Router::FindProducer(const std::string& id) const {
  auto it = producers_.find(id);
  return it == producers_.end() ? nullptr : it->second.get();
}

Consumer* Router::FindConsumer(const std::string& id) const {
  auto it = consumers_.find(id);
  return it == consumers_.end() ? nullptr : it->second.get();
}

std::vector<Consumer*> Router::ConsumersOf(const Producer& producer) const {
  auto it = fanout_.find(&producer);
  return it == fanout_.end() ? std::vector<Consumer*>{} : it->second;
}

RtpEndpoint* Router::EndpointOf(const Producer& producer) const {
  auto it = producer_endpoint_.find(&producer);
  return it == producer_endpoint_.end() ? nullptr : it->second;
}

Status Router::PauseProducer(const std::string& id) {
  Producer* p = FindProducer(id);
  if (!p) return NotFoundError(StrCat("no producer ", id));
  if (p->paused()) return absl::OkStatus();
  p->Pause();
  for (Consumer* c : fanout_[p]) {
    c->SetProducerPaused(true);
    if (observer_) observer_->OnConsumerProducerPause(*c);
  }
  return absl::OkStatus();
}

Status Router::ResumeProducer(const std::string& id, Timestamp now) {
  Producer* p = FindProducer(id);
  if (!p) return NotFoundError(StrCat("no producer ", id));
  if (!p->paused()) return absl::OkStatus();
  p->Resume();
  for (Consumer* c : fanout_[p]) {
    c->SetProducerPaused(false);
    if (observer_) observer_->OnConsumerProducerResume(*c);
    if (c->waiting_keyframe() && !c->paused()) p->RequestKeyFrame(c->encoding(), now);
  }
  return absl::OkStatus();
}

Status Router::PauseConsumer(const std::string& id) {
  Consumer* c = FindConsumer(id);
  if (!c) return NotFoundError(StrCat("no consumer ", id));
  c->Pause();
  return absl::OkStatus();
}

Status Router::ResumeConsumer(const std::string& id, Timestamp now) {
  Consumer* c = FindConsumer(id);
  if (!c) return NotFoundError(StrCat("no consumer ", id));
  c->Resume();
  if (c->waiting_keyframe() && !c->producer_paused()) c->producer().RequestKeyFrame(c->encoding(), now);
  return absl::OkStatus();
}

void Router::RequestKeyFrame(Consumer& consumer, Timestamp now) {
  if (consumer.kind() == "video") consumer.producer().RequestKeyFrame(consumer.encoding(), now);
}

void Router::Forward(Producer& producer, const Producer::Received& packet, Timestamp now) {
  auto it = fanout_.find(&producer);
  if (it == fanout_.end()) return;
  bool simulcast = producer.encoding_count() > 1;
  size_t best = simulcast ? producer.BestEncoding(now) : 0;
  // The last cap's choice: consumers of one endpoint share a cap.
  uint32_t last_cap = 0;
  size_t last_capped = 0;
  for (Consumer* c : it->second) {
    size_t target = best;
    if (simulcast) {
      uint32_t cap = c->endpoint_ ? c->endpoint_->max_outgoing_bitrate() : 0;
      if (cap != 0 && producer.video()) {
        if (cap != last_cap) {
          last_cap = cap;
          last_capped = producer.EncodingForBitrate(cap, now);
        }
        target = last_capped;
      }
    }
    if (c->encoding() != target) {
      // Simulcast: follow the chosen encoding (layer selection refines this later).
      c->SetEncoding(target);
      producer.RequestKeyFrame(target, now);
    }
    c->Forward(packet, now, scratch_);
  }
}

}  // namespace sfu
