"""Instruction following; the rejected response is as good but breaks one stated constraint.

Constraints: an exact number of bullet points, a word limit, JSON-only output with given keys,
all lowercase, a response language, a required closing sentence, no commas. Both responses
draw on the same content, so the only difference is whether the instruction was followed.
`check` names the constraint and its parameter.
"""

from __future__ import annotations

import json
import random

from rewardkit.data.synth.core import Example, Family, Template, pick

TIPS: dict[str, list[str]] = {
    "sleeping better": [
        "Go to bed and wake up at the same time every day, weekends included.",
        "Keep the bedroom dark, quiet and slightly cool.",
        "Avoid caffeine after early afternoon.",
        "Put screens away at least 30 minutes before bed.",
        "Get some daylight in the morning to anchor your body clock.",
        "Keep naps short, under 30 minutes, and before 3 pm.",
        "If you can't fall asleep after 20 minutes, get up and do something calm until you feel sleepy.",
    ],
    "studying for exams": [
        "Spread your revision over several weeks instead of cramming.",
        "Test yourself with practice questions rather than rereading notes.",
        "Study in focused 25-minute blocks with short breaks.",
        "Explain each topic out loud as if teaching a friend.",
        "Start with the topics you find hardest while you are fresh.",
        "Work through past papers under timed conditions.",
        "Sleep well the night before; a tired brain recalls less.",
    ],
    "saving money on groceries": [
        "Plan meals for the week and shop from a list.",
        "Compare unit prices instead of package prices.",
        "Buy store brands for staples like rice, pasta and canned goods.",
        "Cook larger batches and freeze portions.",
        "Shop after eating so hunger doesn't drive impulse buys.",
        "Use what is already in the fridge before buying more.",
        "Buy fruit and vegetables that are in season.",
    ],
    "starting to run": [
        "Begin with run-walk intervals, such as one minute running and two minutes walking.",
        "Run at a pace where you can still hold a conversation.",
        "Increase your weekly distance by no more than about 10 percent.",
        "Schedule rest days so your joints and muscles can adapt.",
        "Get fitted for shoes at a running store.",
        "Warm up with five minutes of brisk walking.",
        "Track your runs to see your progress and stay motivated.",
    ],
    "keeping houseplants alive": [
        "Check the soil with your finger and water only when the top few centimetres are dry.",
        "Use pots with drainage holes so roots don't sit in water.",
        "Match each plant to the light it needs, from bright window to shady corner.",
        "Wipe dust off the leaves so they can absorb light.",
        "Feed plants lightly during spring and summer, not in winter.",
        "Repot when roots start circling the pot or growing out of the bottom.",
        "Keep plants away from radiators and cold drafts.",
    ],
    "writing a good cover letter": [
        "Address it to a named person whenever you can find one.",
        "Open with why you want this particular role at this particular company.",
        "Pick two or three achievements that match the job description.",
        "Show results with numbers where possible.",
        "Keep it to one page.",
        "Mirror a few key words from the job advert.",
        "Close by saying you would welcome an interview.",
    ],
    "reducing screen time": [
        "Turn off non-essential notifications.",
        "Set app limits for the apps you open most.",
        "Keep your phone out of the bedroom at night.",
        "Replace one scrolling session a day with a walk or a book.",
        "Switch the screen to grayscale to make it less tempting.",
        "Charge your phone in another room during meals.",
        "Plan screen-free activities with friends or family.",
    ],
    "learning a new language": [
        "Practise a little every day rather than a lot once a week.",
        "Learn the most common words first.",
        "Speak from the start, even if you make mistakes.",
        "Listen to podcasts or shows in the language.",
        "Use spaced-repetition flashcards for vocabulary.",
        "Find a conversation partner or tutor.",
        "Label things around your home with their names in the language.",
    ],
}

TRANSLATIONS: dict[str, dict[str, list[str]]] = {
    "sleeping better": {
        "Spanish": ["Acuéstate y levántate a la misma hora todos los días.", "Mantén el dormitorio oscuro, silencioso y algo fresco.", "Evita la cafeína después del mediodía.", "Deja las pantallas al menos 30 minutos antes de dormir."],
        "French": ["Couchez-vous et levez-vous à la même heure chaque jour.", "Gardez la chambre sombre, calme et un peu fraîche.", "Évitez la caféine après le début de l'après-midi.", "Rangez les écrans au moins 30 minutes avant de dormir."],
    },
    "saving money on groceries": {
        "Spanish": ["Planifica las comidas de la semana y compra con una lista.", "Compara el precio por kilo en lugar del precio del paquete.", "Compra marcas blancas para los productos básicos.", "Cocina en cantidad y congela porciones."],
        "French": ["Planifiez les repas de la semaine et faites vos courses avec une liste.", "Comparez le prix au kilo plutôt que le prix du paquet.", "Achetez des marques de distributeur pour les produits de base.", "Cuisinez en grande quantité et congelez des portions."],
    },
    "starting to run": {
        "Spanish": ["Empieza alternando un minuto de carrera con dos de caminata.", "Corre a un ritmo que te permita mantener una conversación.", "No aumentes tu distancia semanal más de un diez por ciento.", "Programa días de descanso para que tu cuerpo se adapte."],
        "French": ["Commencez en alternant une minute de course et deux minutes de marche.", "Courez à un rythme qui vous permet de parler.", "N'augmentez pas votre distance hebdomadaire de plus de dix pour cent.", "Prévoyez des jours de repos pour que votre corps s'adapte."],
    },
    "learning a new language": {
        "Spanish": ["Practica un poco cada día en lugar de mucho una vez por semana.", "Aprende primero las palabras más comunes.", "Habla desde el principio, aunque cometas errores.", "Escucha pódcasts o series en ese idioma."],
        "French": ["Pratiquez un peu chaque jour plutôt que beaucoup une fois par semaine.", "Apprenez d'abord les mots les plus courants.", "Parlez dès le début, même si vous faites des erreurs.", "Écoutez des podcasts ou des séries dans la langue."],
    },
}
LEADS = {"English": "Here are some tips:", "Spanish": "Aquí tienes algunos consejos:", "French": "Voici quelques conseils :"}


def _topic_tips(rng: random.Random, k: int) -> tuple[str, list[str]]:
    topic = pick(rng, sorted(TIPS))
    return topic, rng.sample(TIPS[topic], k)


def bullets(rng: random.Random) -> Example:
    n = rng.randint(3, 5)
    topic, tips = _topic_tips(rng, n + 1)
    prompt = pick(rng, [f"Give me exactly {n} tips for {topic}, as a bulleted list.", f"List {n} tips for {topic}. Use bullet points and give exactly {n}."])
    wrong = n + 1 if rng.random() < 0.5 else n - 1
    render = lambda items: "\n".join(f"- {t}" for t in items)  # noqa: E731
    return Example(prompt, render(tips[:n]), render(tips[:wrong]), f"gives {wrong} bullet points instead of {n}", {"constraint": "bullets", "n": n})


def word_limit(rng: random.Random) -> Example:
    topic = pick(rng, sorted(TIPS))
    tips = rng.sample(TIPS[topic], 5)
    sentences = [f"A few habits make a real difference for {topic}."] + tips
    words = [len(s.split()) for s in sentences]
    k = rng.randint(3, 5)
    limit = sum(words[:k]) + rng.randint(0, 3)
    prompt = pick(rng, [f"In no more than {limit} words, how do I get better at {topic}?", f"Answer in {limit} words or fewer: any advice on {topic}?"])
    return Example(prompt, " ".join(sentences[:k]), " ".join(sentences[: k + 1]), f"goes over the {limit}-word limit", {"constraint": "max_words", "n": limit})


def json_only(rng: random.Random) -> Example:
    n = rng.randint(2, 4)
    topic, tips = _topic_tips(rng, n)
    keys = pick(rng, [("tip", "why"), ("advice", "reason"), ("action", "benefit")])
    why = ["it builds a habit you can keep", "small steps add up", "it removes a common obstacle", "it is easy to start today"]
    items = [{keys[0]: t, keys[1]: pick(rng, why)} for t in tips]
    prompt = f"Give {n} tips for {topic} as a JSON array of objects with the keys \"{keys[0]}\" and \"{keys[1]}\". Reply with the JSON only, no other text."
    good = json.dumps(items, indent=2, ensure_ascii=False)
    kind = rng.randrange(3)
    if kind == 0:
        bad, error = f"Sure! Here are {n} tips for {topic}:\n\n{good}", "adds text around the JSON"
    elif kind == 1:
        broken = [dict(it) for it in items]
        del broken[rng.randrange(n)][keys[1]]
        bad, error = json.dumps(broken, indent=2, ensure_ascii=False), f"one object lacks the \"{keys[1]}\" key"
    else:
        renamed = [{keys[0].capitalize(): it[keys[0]], keys[1].capitalize(): it[keys[1]]} for it in items]
        bad, error = json.dumps(renamed, indent=2, ensure_ascii=False), "capitalises the key names"
    return Example(prompt, good, bad, error, {"constraint": "json", "n": n, "keys": list(keys)})


def lowercase(rng: random.Random) -> Example:
    n = rng.randint(2, 3)
    topic, tips = _topic_tips(rng, n)
    prompt = pick(rng, [f"Write a short note about {topic}, using only lowercase letters.", f"all lowercase please, no capital letters: quick advice on {topic}?"])
    text = " ".join(tips)
    return Example(prompt, text.lower(), text, "uses capital letters", {"constraint": "lowercase"})


def language(rng: random.Random) -> Example:
    topic = pick(rng, sorted(TRANSLATIONS))
    lang = pick(rng, ["Spanish", "French"])
    n = rng.randint(2, 4)
    idx = sorted(rng.sample(range(4), n))
    english = [TIPS[topic][i] for i in idx]  # TRANSLATIONS[topic][lang][i] translates TIPS[topic][i]
    foreign = [TRANSLATIONS[topic][lang][i] for i in idx]
    prompt = pick(rng, [f"Answer in {lang}, please: how can I get better at {topic}? Give {n} tips.", f"Please reply only in {lang}. What are {n} tips for {topic}?"])
    render = lambda lead, items: lead + "\n" + "\n".join(f"{i}. {t}" for i, t in enumerate(items, 1))  # noqa: E731
    return Example(prompt, render(LEADS[lang], foreign), render(LEADS["English"], english), f"answers in English instead of {lang}", {"constraint": "language", "language": lang})


CLOSERS = ["Let me know if you need more help.", "Good luck, and enjoy the process!", "I hope this helps you get started."]


def closing_sentence(rng: random.Random) -> Example:
    n = rng.randint(3, 4)
    topic, tips = _topic_tips(rng, n)
    closer = pick(rng, CLOSERS)
    other = pick(rng, [c for c in CLOSERS if c != closer])
    prompt = f"What are {n} good tips for {topic}? End your answer with this exact sentence: \"{closer}\""
    body = "\n".join(f"{i}. {t}" for i, t in enumerate(tips, 1))
    return Example(prompt, f"{body}\n\n{closer}", f"{body}\n\n{other}", "ends with a different sentence than the one required", {"constraint": "ends_with", "text": closer})


def no_commas(rng: random.Random) -> Example:
    topic = pick(rng, [t for t in sorted(TIPS) if any("," in tip for tip in TIPS[t])])
    with_commas = [t for t in TIPS[topic] if "," in t]
    without = [t for t in TIPS[topic] if "," not in t]
    n = rng.randint(2, 3)
    base = rng.sample(without, min(n, len(without)))
    prompt = pick(rng, [f"Without using any commas, give me some advice on {topic}.", f"Some tips on {topic}, please. Do not use a single comma in your answer."])
    good = " ".join(base)
    bad = " ".join(base[:-1] + [pick(rng, with_commas)])
    return Example(prompt, good, bad, "uses a comma", {"constraint": "no_commas"})


KEYWORDS = [("consistency", "regularity"), ("patience", "perseverance"), ("routine", "schedule"), ("progress", "improvement"),
            ("focus", "attention"), ("balance", "moderation"), ("habit", "practice"), ("planning", "preparation")]


def keywords(rng: random.Random) -> Example:
    n = rng.randint(2, 3)
    topic, tips = _topic_tips(rng, n)
    (k1, s1), (k2, s2) = rng.sample(KEYWORDS, 2)
    prompt = pick(rng, [f"Give me {n} tips for {topic}. Your answer must include the words \"{k1}\" and \"{k2}\".",
                        f"Some advice on {topic}, please, and be sure to use the keywords {k1} and {k2}."])
    closing = pick(rng, ["In the end it comes down to {a} and {b}.", "Two things matter most: {a} and {b}.", "Remember that {a} and {b} go a long way."])
    body = "\n".join(f"- {t}" for t in tips)
    missing = rng.randrange(2)
    words = (s1, k2) if missing == 0 else (k1, s2)
    good = f"{body}\n\n{closing.format(a=k1, b=k2)}"
    bad = f"{body}\n\n{closing.format(a=words[0], b=words[1])}"
    return Example(prompt, good, bad, f"uses \"{(s1, s2)[missing]}\" instead of the required word \"{(k1, k2)[missing]}\"",
                   {"constraint": "keywords", "words": [k1, k2]})


def forbidden_word(rng: random.Random) -> Example:
    word = pick(rng, ["and", "the", "your", "you"])
    topic = pick(rng, [t for t in sorted(TIPS) if sum(word not in tip.lower().split() for tip in TIPS[t]) >= 3
                       and any(word in tip.lower().split() for tip in TIPS[t])])
    allowed = [t for t in TIPS[topic] if word not in t.lower().split()]
    banned = [t for t in TIPS[topic] if word in t.lower().split()]
    n = rng.randint(2, 3)
    base = rng.sample(allowed, min(n, len(allowed)))
    prompt = pick(rng, [f"Give me some advice on {topic} without using the word \"{word}\".",
                        f"Tips for {topic}? The word \"{word}\" must not appear anywhere in your answer."])
    good = "\n".join(f"- {t}" for t in base)
    bad = "\n".join(f"- {t}" for t in base[:-1] + [pick(rng, banned)])
    return Example(prompt, good, bad, f"uses the forbidden word \"{word}\"", {"constraint": "forbidden_word", "word": word})


FAMILY = Family(
    name="instructions",
    subset="synth-instructions",
    description="responses that break one stated constraint (count, length, format, case, language)",
    templates=(
        Template("bullets", bullets),
        Template("word-limit", word_limit),
        Template("json-only", json_only),
        Template("lowercase", lowercase),
        Template("language", language),
        Template("keywords", keywords),
        Template("forbidden-word", forbidden_word),
        Template("closing-sentence", closing_sentence, heldout=True),
        Template("no-commas", no_commas, heldout=True),
    ),
)
