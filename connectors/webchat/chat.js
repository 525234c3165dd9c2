// rasa-webchat keeps the session token the server issued and the messages in
// localStorage, so a reload continues the same conversation.
WebChat.default({
  selector: "#webchat",
  socketUrl: window.location.origin,
  socketPath: "/socket.io/",
  initPayload: "/greet",
  title: "Brightwave",
  subtitle: "Virtual assistant · ask for a person at any time",
  inputTextFieldHint: "Type your message…",
  embedded: true,
  showFullScreenButton: false,
  params: { storage: "local" },
  customData: { language: "en" }
}, null);
