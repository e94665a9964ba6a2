// control/api/logging.cc — any thread. See logging.h.
#include "control/api/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <array>
#include <chrono>
#include <memory>
#include <mutex>

namespace sipedge::logs {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(Component::kCount)> kNames{"main", "sip", "security",
                                                                                      "overload", "hw", "ops"};

// A token bucket in front of stderr: `rate` lines a second, bursts of as many.
class RateLimitedSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void set_rate(uint32_t lines_per_s) {
    std::lock_guard<std::mutex> lock(mutex_);
    rate_ = lines_per_s == 0 ? 1 : lines_per_s;
    tokens_ = std::min(tokens_, static_cast<double>(rate_));
  }
  uint64_t suppressed() {
    std::lock_guard<std::mutex> lock(mutex_);
    return suppressed_total_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const auto now = std::chrono::steady_clock::now();
    tokens_ = std::min(static_cast<double>(rate_),
                       tokens_ + std::chrono::duration<double>(now - refilled_).count() * rate_);
    refilled_ = now;
    if (tokens_ < 1) {
      ++dropped_;
      ++suppressed_total_;
      return;
    }
    tokens_ -= 1;
    if (dropped_ != 0) {
      const std::string note = "sipedge: " + std::to_string(dropped_) + " log line(s) dropped (over " +
                               std::to_string(rate_) + " a second)";
      spdlog::details::log_msg notice(msg.time, spdlog::source_loc{}, "main", spdlog::level::warn, note);
      out_.log(notice);
      dropped_ = 0;
    }
    out_.log(msg);
  }
  void flush_() override { out_.flush(); }

 private:
  spdlog::sinks::stderr_sink_st out_;
  uint32_t rate_ = 200;
  double tokens_ = 200;
  std::chrono::steady_clock::time_point refilled_ = std::chrono::steady_clock::now();
  uint64_t dropped_ = 0;  // since the last line written
  uint64_t suppressed_total_ = 0;
};

struct Registry {
  std::shared_ptr<RateLimitedSink> sink = std::make_shared<RateLimitedSink>();
  std::array<std::shared_ptr<spdlog::logger>, static_cast<size_t>(Component::kCount)> loggers;
  Registry() {
    for (size_t i = 0; i < loggers.size(); ++i) {
      loggers[i] = std::make_shared<spdlog::logger>(std::string(kNames[i]), sink);
      loggers[i]->set_level(spdlog::level::info);
      loggers[i]->flush_on(spdlog::level::warn);
    }
  }
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

std::string_view component_name(Component c) noexcept {
  return c < Component::kCount ? kNames[static_cast<size_t>(c)] : "?";
}

std::optional<Component> component_named(std::string_view name) noexcept {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<Component>(i);
  return std::nullopt;
}

spdlog::logger& of(Component c) { return *registry().loggers[static_cast<size_t>(c)]; }

void set_rate(uint32_t lines_per_s) { registry().sink->set_rate(lines_per_s); }

bool set_level(std::string_view component, spdlog::level::level_enum level) {
  Registry& r = registry();
  if (component.empty()) {
    for (auto& l : r.loggers) l->set_level(level);
    return true;
  }
  const auto c = component_named(component);
  if (!c) return false;
  r.loggers[static_cast<size_t>(*c)]->set_level(level);
  return true;
}

std::map<std::string, std::string> levels() {
  std::map<std::string, std::string> out;
  for (const auto& l : registry().loggers) {
    const auto name = spdlog::level::to_string_view(l->level());
    out[l->name()] = std::string(name.data(), name.size());
  }
  return out;
}

uint64_t suppressed() { return registry().sink->suppressed(); }

}  // namespace sipedge::logs
