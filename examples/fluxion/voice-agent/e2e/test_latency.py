"""End to end: each utterance goes through every layer of the pipeline; every layer's time is recorded.

The ``sla`` fixture comes with releasekit (its pytest plugin): each ``sla.measure(name)`` block appends
one sample to ``$RELEASEKIT_SLA_RESULTS``. ``releasekit sla check`` then compares the samples with the
targets under ``performance:`` in releasekit.yaml, and a release refuses to go out when one is breached.
"""

from __future__ import annotations

from fluxion_voice.pipeline import VectorIndex, classify, embed, fill_slots, llm_reply, match_command

FAQ = [f"Question {n} about opening hours, prices and visits at location {n % 7}" for n in range(2000)]
UTTERANCES = [
    ("Book an appointment with Maria on Friday at 10 am", "book_appointment"),
    ("Can you cancel my appointment for tomorrow", "cancel_appointment"),
    ("What time do you open on Saturday", "opening_hours"),
    ("Send a WhatsApp message to Luca", "send_message"),
    ("Schedule a visit for Monday at 4:30 pm with Anna", "book_appointment"),
    ("When do you close today", "opening_hours"),
]


def test_every_utterance_goes_through_every_layer(sla) -> None:
    index = VectorIndex.build(FAQ)
    for text, expected in UTTERANCES:
        with sla.measure("voice-e2e"):
            with sla.measure("regex-match"):
                command = match_command(text)
            with sla.measure("intent"):
                intent = classify(text)
            with sla.measure("slot-filling"):
                slots = fill_slots(text)
            with sla.measure("faiss-search"):
                hits = index.search(embed(text), k=3)
            with sla.measure("groq-llm"):
                reply = llm_reply(f"{intent} {slots} {hits[0][0]}")
        assert command is None
        assert intent == expected
        assert len(hits) == 3
        assert reply
