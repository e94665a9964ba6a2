// control/owned_message.h — control lcore. A received SIP message kept beyond the ring buffer it
// arrived in: its bytes copied once, its index (the dataplane's scan) carried over, never scanned
// again. What a proxy context keeps of the request it forwards (serial forking, local answers).
#pragma once

#include <string>

#include "parser/message.h"

namespace sipedge::control {

struct OwnedMessage {
  // Copies the message's bytes (up to msg.size()) and its index.
  explicit OwnedMessage(const parser::Message& received)
      : bytes(received.bytes().substr(0, received.size())), msg(received) {
    msg.rebase(bytes);
  }
  OwnedMessage(const OwnedMessage&) = delete;
  OwnedMessage& operator=(const OwnedMessage&) = delete;

  const std::string bytes;
  parser::Message msg;
};

}  // namespace sipedge::control
