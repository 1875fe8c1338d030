#include "control/dispatcher.h"

#include "base/str_cat.h"
#include "base/check.h"
#include "base/log.h"

namespace sfu::control {

// Collects the responses of one message (a single request or a batch).
struct Dispatcher::Pending {
  bool batch = false;
  size_t outstanding = 0;
  std::vector<Json> responses;  // One slot per entry; null for notifications.
  std::function<void(std::string)> send;

  void Fill(size_t slot, Json response) {
    responses[slot] = std::move(response);
    Release();
  }

  void Release() {
    SFU_CHECK(outstanding > 0);
    if (--outstanding == 0) Finish();
  }

  void Finish() {
    Json out = Json::array();
    for (Json& r : responses) {
      if (!r.is_null()) out.push_back(std::move(r));
    }
    if (out.empty()) return;  // Only notifications: nothing is sent back.
    send(Serialize(batch ? out : out[0]));
  }
};

Reply::~Reply() {
  if (fn_) fn_(absl::InternalError("the handler did not reply"));
}

void Reply::operator()(StatusOr<Json> outcome) && {
  SFU_CHECK(fn_);
  auto fn = std::move(fn_);
  fn_ = nullptr;
  fn(std::move(outcome));
}

void Dispatcher::Register(std::string method, Handler handler) {
  SFU_CHECK_MSG(!handlers_.contains(method), method);
  handlers_.emplace(std::move(method), std::move(handler));
}

void Dispatcher::RegisterSync(std::string method, SyncHandler handler) {
  Register(std::move(method), [handler = std::move(handler)](const Json& params, Reply reply) {
    std::move(reply)(handler(params));
  });
}

bool Dispatcher::Has(std::string_view method) const { return handlers_.contains(method); }

std::vector<std::string> Dispatcher::Methods() const {
  std::vector<std::string> out;
  for (const auto& [name, handler] : handlers_) out.push_back(name);
  return out;
}

void Dispatcher::HandleMessage(std::string_view text, std::function<void(std::string)> send) {
  ParsedMessage parsed = ParseMessage(text);
  auto pending = std::make_shared<Pending>();
  pending->batch = parsed.batch;
  pending->send = std::move(send);
  pending->responses.resize(parsed.entries.size());
  // One extra count held while entries are being started, so a handler that replies at
  // once cannot finish the message before the rest of the batch is invoked.
  pending->outstanding = parsed.entries.size() + 1;
  for (size_t i = 0; i < parsed.entries.size(); ++i) {
    auto& entry = parsed.entries[i];
    if (auto* error = std::get_if<Json>(&entry)) {
      pending->Fill(i, std::move(*error));
    } else {
      Invoke(std::move(std::get<Request>(entry)), pending, i);
    }
  }
  pending->Release();
}

void Dispatcher::Invoke(Request request, std::shared_ptr<Pending> pending, size_t slot) {
  auto it = handlers_.find(request.method);
  if (it == handlers_.end()) {
    Json error = request.notification
                     ? Json(nullptr)
                     : MakeError(request.id, RpcError::kMethodNotFound,
                                 StrCat("method not found: ", request.method));
    pending->Fill(slot, std::move(error));
    return;
  }
  Reply reply([pending, slot, id = request.id,
                notification = request.notification](StatusOr<Json> outcome) mutable {
    Json response = nullptr;
    if (!notification) {
      response = outcome.ok() ? MakeResult(id, std::move(*outcome))
                              : MakeErrorFromStatus(id, outcome.status());
    }
    pending->Fill(slot, std::move(response));
  });
  // Handlers validate their params too, but a JSON type error they missed must not take
  // the process down. The Reply is the handler's: unwinding destroys it (or whatever
  // holds it answers later), which answers the request with an internal error.
  try {
    if (schema_ && schema_->HasMethod(request.method)) {
      if (Status st = schema_->ValidateParams(request.method, request.params); !st.ok()) {
        return std::move(reply)(std::move(st));
      }
    }
    it->second(request.params, std::move(reply));
  } catch (const std::exception& e) {
    SFU_LOG(kError, kControl, "method ", request.method, " threw: ", e.what());
  }
}

std::string Dispatcher::OversizedResponse(size_t size, size_t limit) {
  return Serialize(MakeError(nullptr, RpcError::kInvalidRequest,
                             StrCat("message of ", size, " bytes exceeds the limit of ",
                                          limit, " bytes"),
                             {{"type", "MessageTooLarge"}, {"limit", limit}}));
}

}  // namespace sfu::control
