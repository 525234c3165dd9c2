"""Escalation in German, French and Spanish (escalation.yml's `languages`):
an angry message, a request for a person or a never-automated topic is handled like its
English counterpart; a calm message is not read as upset by VADER's English lexicon;
and the languages' section is validated like the rest of the file."""

from typing import Any

import pytest
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from escalation.config import EscalationConfig, EscalationConfigError, parse_escalation_config
from escalation.decision import ConversationFacts, Decision, TurnFacts, decide
from escalation.emotion import EmotionAnalyzer
from escalation.names import SENTIMENT_KEY
from escalation.signals import score_emotion


def _decide(config: EscalationConfig, text: str, language: str) -> Decision:
    """As the policy decides: on the emotion the NLU scored in the message's language."""
    signal = score_emotion(text, config.sentiment, language=language)
    scored = (signal.score, signal.sentiment, signal.cues)
    return decide(TurnFacts(text, scored_emotion=scored), ConversationFacts(), config, "rest")


# Messages that must escalate, each with its English counterpart (None: measured
# alone) and the reason both must give.
GERMAN = [
    (
        "Das ist eine Frechheit! Ich bin stinksauer, die Bestellung ist immer noch nicht da!",
        "This is a disgrace! I'm furious, the order still isn't here!",
        "negative_emotion",
    ),
    (
        "Ich bin wütend, das ist unverschämt",
        "I am furious, this is outrageous",
        "negative_emotion",
    ),
    (
        "ich möchte mit einem Menschen sprechen",
        "I want to speak to a person",
        "human_requested",
    ),
    (
        "Verbinden Sie mich mit einem Mitarbeiter",
        "Put me through to an agent",
        "human_requested",
    ),
    (
        "Mein Mann ist letzte Woche verstorben",
        "My husband passed away last week",
        "sensitive_topic:bereavement",
    ),
    (
        "Jemand hat mit meiner Kreditkarte bestellt",
        "Someone used my card to order",
        "sensitive_topic:fraud",
    ),
    (
        "Ich werde Sie verklagen, mein Anwalt meldet sich",
        "I will sue you, my lawyer will be in touch",
        "sensitive_topic:legal",
    ),
]
FRENCH = [
    (
        "C'est scandaleux ! Je suis furieux, ma commande n'est toujours pas arrivée !",
        "This is a disgrace! I'm furious, the order still isn't here!",
        "negative_emotion",
    ),
    (
        "J'en ai marre, c'est la troisième fois que j'écris, vous êtes des incompétents",
        "I've had enough, this is the third time I write, you are incompetent",
        "negative_emotion",
    ),
    (
        "je veux parler à un conseiller",
        "I want to speak to an agent",
        "human_requested",
    ),
    (
        "Passez-moi quelqu'un de votre service client, s'il vous plaît",
        "Put me through to someone from customer service, please",
        "human_requested",
    ),
    (
        "Mon mari est décédé la semaine dernière",
        "My husband passed away last week",
        "sensitive_topic:bereavement",
    ),
    (
        "Quelqu'un a utilisé ma carte pour commander",
        "Someone used my card to order",
        "sensitive_topic:fraud",
    ),
    (
        "Je vais porter plainte, mon avocat va vous contacter",
        "I will sue you, my lawyer will be in touch",
        "sensitive_topic:legal",
    ),
    (
        "Je suis au chômage et je ne peux plus payer la facture",
        "I lost my job and I can't afford to pay the invoice",
        "sensitive_topic:vulnerability",
    ),
]
SPANISH = [
    ("¡Es una vergüenza! Estoy furioso, el pedido sigue sin llegar", "negative_emotion"),
    ("Estoy hasta las narices, sois unos incompetentes", "negative_emotion"),
    ("Esto es una mierda, joder", "negative_emotion"),
    ("quiero hablar con una persona", "human_requested"),
    ("Páseme con un agente, por favor", "human_requested"),
    ("agente", "human_requested"),
    ("Mi marido ha fallecido y quiero dar de baja su seguro", "sensitive_topic:bereavement"),
    ("Hay un cargo en mi tarjeta que no reconozco", "sensitive_topic:fraud"),
    ("Voy a hablar con mi abogado y les voy a demandar", "sensitive_topic:legal"),
    ("Tengo 84 años y no entiendo nada de esto", "sensitive_topic:vulnerability"),
    ("Estoy en paro y no puedo pagar la factura", "sensitive_topic:vulnerability"),
]
ESCALATING = (
    [("de", text, english, reason) for text, english, reason in GERMAN]
    + [("fr", text, english, reason) for text, english, reason in FRENCH]
    + [("es", text, None, reason) for text, reason in SPANISH]
)
# Calm messages and false friends, by language.
CALM = {
    "de": [
        "Ich möchte die Rechnung sehen, die ich bekommen habe",  # "die" is no death
        "Wo ist die Bestellung, die ich letzte Woche aufgegeben habe?",
        "Ich möchte nicht mit einem Menschen sprechen, sagen Sie mir nur, wo mein Paket ist",
        "Wann kann ich mit einem Mitarbeiter sprechen?",  # the support hours
        "Bin ich mit einem echten Menschen verbunden?",  # what the assistant is
        "Mein Handy ist gestorben, ist das von der Garantie gedeckt?",
        "Danke, das war sehr hilfreich",
    ],
    "fr": [
        "Où est la commande que j'ai passée la semaine dernière ?",
        "Je voudrais voir la facture que j'ai reçue",
        "Je ne veux pas parler à un conseiller, dites-moi juste où est mon colis",
        "Quand est-ce que je peux parler à un conseiller ?",  # the support hours
        "Est-ce que je parle à un vrai humain ?",  # what the assistant is
        "Mon téléphone est mort, est-ce couvert par la garantie ?",
        "J'étais mort de rire en lisant votre message, merci",
        "Merci, c'est parfait, très utile",
        "Un avis sur la livraison : elle était rapide, bravo",
        "Ma commande, elle est partie ?",  # shipped, not a death
        "Je peux payer en 3 fois ?",  # instalments, not contacts
        "Pourquoi je ne peux pas payer par PayPal ?",
        "Je craque pour le Pulse 2, il coûte combien ?",
    ],
    "es": [
        "Quiero un envío sin prisa, ¿cuánto tarda el estándar?",  # "sin" is no sin
        "¿Dónde está el pedido que hice la semana pasada?",
        "No quiero hablar con una persona, solo dígame dónde está mi paquete",
        "¿Cuándo puedo hablar con un agente?",  # the support hours
        "¿Estoy hablando con una persona real?",  # what the assistant is
        "Mi móvil se ha muerto, ¿lo cubre la garantía?",
        "Me robaron el móvil, ya puse la denuncia en la policía",  # a claim, not legal
        "¿Cómo va mi reclamación al seguro?",  # a claim's status, not a complaint
        "Muchas gracias, me ha sido muy útil",
    ],
}


@pytest.mark.parametrize(("language", "text", "english", "reason"), ESCALATING)
def test_a_message_escalates_for_its_reason_like_its_english_counterpart(
    config: EscalationConfig, language: str, text: str, english: str | None, reason: str
) -> None:
    decision = _decide(config, text, language)
    assert (decision.escalate, decision.reason_code) == (True, reason)
    if english is not None:
        in_english = _decide(config, english, "en")
        assert (in_english.escalate, in_english.reason_code) == (True, reason)


@pytest.mark.parametrize(
    ("language", "text"), [(language, text) for language, texts in CALM.items() for text in texts]
)
def test_calm_messages_and_false_friends_do_not_escalate(
    config: EscalationConfig, language: str, text: str
) -> None:
    decision = _decide(config, text, language)
    assert (decision.escalate, decision.reason_code) == (False, "none")
    assert score_emotion(text, config.sentiment, language=language).score >= 0


def test_german_is_not_scored_with_the_english_lexicon(config: EscalationConfig) -> None:
    calm = "Ich möchte die Rechnung sehen, die ich bekommen habe"
    # Read as English, the two articles "die" are two deaths: the trend would escalate.
    assert score_emotion(calm, config.sentiment).sentiment < -0.3
    assert score_emotion(calm, config.sentiment, language="de").sentiment == 0


def test_french_is_scored_with_its_own_lexicon(
    config: EscalationConfig, raw: dict[str, Any]
) -> None:
    assert score_emotion("je suis très content", config.sentiment, language="fr").sentiment > 0
    assert (
        score_emotion("service nul, c'est honteux", config.sentiment, language="fr").sentiment < 0
    )
    # A language without a lexicon of its own is scored by its cues alone.
    del raw["languages"]["fr"]["lexicon"]
    unscored = parse_escalation_config(raw)
    assert score_emotion("je suis très content", unscored.sentiment, language="fr").sentiment == 0


def test_the_nlu_scores_a_message_in_its_language_or_the_conversations(
    config: EscalationConfig,
) -> None:
    analyzer = EmotionAnalyzer(config.sentiment)
    german = DialogueStateTracker.from_events("c", [SlotSet("language", "de")])
    told = {"entity": "language", "value": "de", "start": 0, "end": 0}
    calm = "Ich möchte die Rechnung sehen, die ich bekommen habe"
    kept, heard, unknown = (
        Message({TEXT: calm}),
        Message({TEXT: calm, ENTITIES: [told]}),
        Message({TEXT: calm}),
    )
    analyzer.process([kept], german)
    analyzer.process([heard])
    analyzer.process([unknown])
    assert kept.get(SENTIMENT_KEY)["sentiment"] == heard.get(SENTIMENT_KEY)["sentiment"] == 0
    assert unknown.get(SENTIMENT_KEY)["sentiment"] < 0  # the default language: English


def _problems(raw: Any) -> str:
    with pytest.raises(EscalationConfigError) as error:
        parse_escalation_config(raw)
    return str(error.value)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda r: r["languages"].update(it={"cues": {}}), "languages.it: not one of languages"),
        (lambda r: r["languages"].update(en={"cues": {}}), "languages.en: the sections above"),
        (
            lambda r: r["languages"]["de"]["cues"].update(grumpy={"patterns": ["grr"]}),
            "languages.de.cues.grumpy: not one of cues",
        ),
        (
            lambda r: r["languages"]["de"]["topics"].update(weather={"patterns": ["regen"]}),
            "languages.de.topics.weather: not one of topics",
        ),
        (
            lambda r: r["languages"]["de"]["human_request"].update(patterns=["(mensch"]),
            "languages.de.human_request.patterns[0]: is not a valid regular expression",
        ),
        (
            lambda r: r["languages"]["de"]["human_request"].update(patterns=["Mensch"]),
            "languages.de.human_request.patterns[0]: has capital letters",
        ),
        (lambda r: r["languages"]["de"]["lexicon"].update(wütend=-9), "languages.de.lexicon"),
        (
            lambda r: r["languages"]["de"]["cues"].update(profanity={"exclude": ["x"]}),
            "languages.de.cues.profanity: needs at least one entry",
        ),
    ],
)
def test_a_bad_language_entry_is_named(raw: dict[str, Any], change: Any, named: str) -> None:
    change(raw)
    assert named in _problems(raw)


def test_spanish_is_not_scored_with_the_english_lexicon(config: EscalationConfig) -> None:
    calm = "Quiero un envío sin prisa, sin gastos y sin complicaciones"
    # Read as English, each "sin" is a sin.
    assert score_emotion(calm, config.sentiment).sentiment < 0
    assert score_emotion(calm, config.sentiment, language="es").sentiment == 0
