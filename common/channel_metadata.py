"""The keys of message metadata the channels (in Rasa) and the action server agree
on: a channel says what it verified and what it can do; an action says what the
channel should do with its message. Strings only, so both sides import them without
importing each other."""

# User message: the sender's number as the channel verified it (Twilio signs the
# request that carries it): a WhatsApp number on `twilio`, a caller's on
# `twilio_voice`. The action server looks its customer up in the CRM.
CHANNEL_NUMBER = "channel_number"
# User message: a card number was removed from it (connectors/inbound.py); its text
# holds CARD_MASK where the number was, and the NLU reads it as `give_card_number`.
CARD_NUMBER_REMOVED = "card_number_removed"
CARD_MASK = "[card number removed]"
# User message on a call: the channel has an agents' number to put the caller through to.
CAN_PUT_THROUGH = "voice_put_through"
# User message on a call: the channel can send the caller a text message (a sender
# number is configured), so a text message may be offered.
CAN_TEXT = "voice_can_text"
# Bot message on a call: put the caller through to the agents now (a person is there).
PUT_THROUGH = "put_through"
# Bot message on a call: the caller's choice of a call back is confirmed; the call ends.
CALLBACK_DONE = "callback_done"
# Bot message on a call: send it to the caller as a text message, not spoken.
SEND_AS_TEXT = "send_as_text"
# Bot message: a business event the customer memory brought into a live conversation
# (actions/memory_events.py); a call says it at the caller's next turn.
LIVE_EVENT = "live_event"
# User message from the web chat: the browser's language (navigator.language, "de-DE"),
# the language of the first messages that tell none (components/language_heard.py).
BROWSER_LANGUAGE = "browser_language"
# Slots (not metadata) the voice channel and actions/callback.py share: the offer of a
# call back made outside support hours (set by the hand-over), and the caller's answer.
CALLBACK_OFFER = "callback_offer"
CALLBACK_ANSWER = "callback_answer"
