// The chat page: rasa-webchat drawn inside <main id="webchat">, and what the widget
// lacks on its own: labels for the input and the send button, new messages copied
// into the page's aria-live region, the newest message scrolled into view after
// each turn, focus back in the input after sending, and an agent's messages marked
// with their name.
//
// rasa-webchat keeps the session token the server issued and the messages in
// localStorage ("chat_session"), so a reload continues the same conversation. An
// agent's message arrives with the class "rw-agent" and the agent's name in its
// customCss (connectors/webchat sends both); the widget stores that with the
// message, so the name is found again after a reload. Each message received is
// confirmed to the server, which sends unconfirmed ones again on return.
(function () {
  "use strict";

  var STORAGE_KEY = "chat_session";
  var INPUT_LABEL = "Your message";
  var SEND_LABEL = "Send message";
  var MESSAGES_LABEL = "Messages";
  var ASSISTANT = "Brightwave assistant";
  var TEAM = "Brightwave team";
  var ANNOUNCED_KEPT = 5; // the live region keeps the last few messages only

  var root = document.getElementById("webchat");
  var announcer = document.getElementById("chat-announcer");
  var announced = null; // how many replies were on the page when it was last read

  WebChat.default({
    socketUrl: window.location.origin,
    socketPath: "/socket.io/",
    initPayload: "/greet",
    inputTextFieldHint: "Type your message…",
    embedded: true,
    showFullScreenButton: false,
    params: { storage: "local" },
    // The browser's language: the first messages' language until one tells another.
    customData: { language: navigator.language || "" },
    // The server keeps each message until a browser confirms it, and sends what is
    // still waiting when the customer comes back (connectors/webchat/outbox.py).
    onSocketEvent: {
      bot_uttered: function () {
        var confirm = arguments[arguments.length - 1];
        if (typeof confirm === "function") confirm();
      }
    }
  }, root);

  function replies() {
    return root.querySelectorAll(
      ".rw-messages-container .rw-message:not(.rw-typing-indication) .rw-response");
  }

  /** The agents' names of the stored agent messages, in order. */
  function agentNames() {
    try {
      var session = JSON.parse(window.localStorage.getItem(STORAGE_KEY)) || {};
      return (session.conversation || []).filter(function (message) {
        return message.customCss && message.customCss.agent;
      }).map(function (message) { return String(message.customCss.agent); });
    } catch (error) {
      return [];
    }
  }

  function markAgentMessages() {
    var names = agentNames();
    root.querySelectorAll(".rw-response.rw-agent").forEach(function (bubble, index) {
      if (bubble.querySelector(".rw-agent-name") || !names[index]) return;
      var label = document.createElement("span");
      label.className = "rw-agent-name";
      label.textContent = names[index] + ", " + TEAM;
      bubble.insertBefore(label, bubble.firstChild);
    });
  }

  function label() {
    var input = root.querySelector(".rw-new-message");
    if (input && !input.hasAttribute("aria-label")) {
      input.setAttribute("aria-label", INPUT_LABEL);
      input.focus();  // the page opens ready to type
    }
    var send = root.querySelector(".rw-send");
    if (send && !send.hasAttribute("aria-label")) send.setAttribute("aria-label", SEND_LABEL);
    var messages = root.querySelector(".rw-messages-container");
    if (messages && !messages.hasAttribute("aria-label")) {
      messages.setAttribute("role", "region");
      messages.setAttribute("aria-label", MESSAGES_LABEL);
      messages.setAttribute("tabindex", "0");  // scrollable with the keyboard
    }
  }

  /** Copy replies that arrived since the last look into the live region. */
  function announce() {
    var all = replies();
    if (announced === null) {  // what was restored from storage is not news
      if (!root.querySelector(".rw-messages-container")) return;
      announced = all.length;
    }
    for (var i = announced; i < all.length; i++) {
      var name = all[i].querySelector(".rw-agent-name");
      var text = all[i].querySelector(".rw-message-text");
      var line = document.createElement("p");
      line.textContent = (name ? name.textContent : ASSISTANT) + ": " +
        (text ? text.textContent : all[i].textContent);
      announcer.appendChild(line);
    }
    announced = all.length;
    while (announcer.childNodes.length > ANNOUNCED_KEPT) announcer.removeChild(announcer.firstChild);
  }

  function scrollToNewest() {
    var messages = root.querySelector(".rw-messages-container");
    if (messages) messages.scrollTop = messages.scrollHeight;
  }

  new MutationObserver(function () {
    label();
    markAgentMessages();
    announce();
    scrollToNewest();
  }).observe(root, { childList: true, subtree: true });

  // After sending with the button or tapping an option, typing goes on in the input.
  root.addEventListener("click", function (event) {
    if (event.target.closest(".rw-send, .rw-reply")) {
      window.setTimeout(function () {
        var input = root.querySelector(".rw-new-message");
        if (input) input.focus();
      }, 0);
    }
  });
})();
