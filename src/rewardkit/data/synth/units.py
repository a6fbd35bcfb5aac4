"""Unit conversions; the rejected answer uses a plausible wrong formula.

The mistakes are the ones people make: dividing where one multiplies, the Fahrenheit offset
applied in the wrong order, a linear factor used for an area, decimal hours read as minutes.
Arithmetic is done correctly within each (right or wrong) formula, so only the method is wrong.
`check` holds the input value, the units, and the correct answer.
"""

from __future__ import annotations

import random

from rewardkit.data.synth.core import Example, Family, Template, fmt_num, pick


def _example(prompt: str, chosen: str, rejected: str, error: str, value: float, src: str, dst: str, answer: float) -> Example:
    return Example(prompt, chosen, rejected, error, {"value": value, "from": src, "to": dst, "answer": round(answer, 2)})


def miles_to_km(rng: random.Random) -> Example:
    x = round(rng.uniform(3, 60), 1)
    what = pick(rng, [f"a {fmt_num(x)}-mile hike", f"a {fmt_num(x)}-mile drive", f"a {fmt_num(x)}-mile bike ride"])
    prompt = pick(rng, [f"How many kilometres is {what}?", f"Convert {what} to kilometres.", f"I'm planning {what}. What is that in km?"])
    good, bad = x * 1.609344, x / 1.609344
    body = "To convert miles to kilometres, {verb} by 1.609344 (one mile is exactly 1.609344 km).\n\n{x} mi {op} 1.609344 = {y} km\n\nSo {what} is about **{y} km**."
    return _example(
        prompt,
        body.format(verb="multiply", x=fmt_num(x), op="×", y=fmt_num(good), what=what),
        body.format(verb="divide", x=fmt_num(x), op="÷", y=fmt_num(bad), what=what),
        "divides by the factor instead of multiplying",
        x, "mi", "km", good,
    )


def fahrenheit_to_celsius(rng: random.Random) -> Example:
    f = rng.randint(-10, 110)
    context = pick(rng, ["The forecast says", "My oven thermometer reads", "The pool water is", "The thermostat is set to"])
    prompt = pick(rng, [f"{context} {f}°F. What is that in Celsius?", f"Convert {f}°F to °C.", f"What is {f} degrees Fahrenheit in Celsius?"])
    good = (f - 32) * 5 / 9
    intro = "Use C = (F − 32) × 5/9: subtract 32 first, then multiply by 5/9."
    chosen = f"{intro}\n\n{f} − 32 = {f - 32}\n{f - 32} × 5/9 = {fmt_num(good)}\n\nSo {f}°F is **{fmt_num(good)}°C**."
    if rng.random() < 0.5 or f == 32:  # at 32°F the 9/5 mistake gives the right answer (0°C)
        bad = f * 5 / 9 - 32
        wrong_intro = "Use C = F × 5/9 − 32: multiply by 5/9, then subtract 32."
        rejected = f"{wrong_intro}\n\n{f} × 5/9 = {fmt_num(f * 5 / 9)}\n{fmt_num(f * 5 / 9)} − 32 = {fmt_num(bad)}\n\nSo {f}°F is **{fmt_num(bad)}°C**."
        error = "subtracts 32 after scaling instead of before"
    else:
        bad = (f - 32) * 9 / 5
        wrong_intro = "Use C = (F − 32) × 9/5: subtract 32 first, then multiply by 9/5."
        rejected = f"{wrong_intro}\n\n{f} − 32 = {f - 32}\n{f - 32} × 9/5 = {fmt_num(bad)}\n\nSo {f}°F is **{fmt_num(bad)}°C**."
        error = "uses 9/5 (the Celsius-to-Fahrenheit factor) instead of 5/9"
    return _example(prompt, chosen, rejected, error, f, "F", "C", good)


def pounds_to_kg(rng: random.Random) -> Example:
    x = round(rng.uniform(2, 250), 1)
    thing = pick(rng, ["my suitcase", "a bag of dog food", "the parcel", "my luggage allowance", "the box of books"])
    prompt = pick(rng, [f"{thing.capitalize()} weighs {fmt_num(x)} lb. How much is that in kilograms?", f"Convert {fmt_num(x)} pounds to kg."])
    good, bad = x * 0.45359237, x * 2.20462262
    body = "One pound is {fact}, so multiply the weight in pounds by {factor}.\n\n{x} lb × {factor} = {y} kg\n\nThat is **{y} kg**."
    return _example(
        prompt,
        body.format(fact="0.45359237 kg", factor="0.45359237", x=fmt_num(x), y=fmt_num(good)),
        body.format(fact="2.20462262 kg", factor="2.20462262", x=fmt_num(x), y=fmt_num(bad)),
        "uses the kilogram-to-pound factor (2.2046) in the wrong direction",
        x, "lb", "kg", good,
    )


def decimal_hours(rng: random.Random) -> Example:
    whole = rng.randint(1, 9)
    frac = pick(rng, [0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9, 0.35, 0.45, 0.65, 0.85])
    x = whole + frac
    task = pick(rng, ["My timesheet says I worked", "The flight takes", "The render finished in", "The audiobook lasts"])
    prompt = pick(rng, [f"{task} {fmt_num(x)} hours. How many hours and minutes is that?", f"Convert {fmt_num(x)} hours to hours and minutes."])
    good_min = round(frac * 60)
    digits = fmt_num(frac).split(".")[1]
    bad_min = int(digits) * (10 if len(digits) == 1 else 1)
    chosen = (
        f"The whole number is the hours: {whole} hours. The decimal part is a fraction of an hour, so multiply it by 60:\n\n"
        f"{fmt_num(frac)} × 60 = {good_min} minutes\n\nSo {fmt_num(x)} hours is **{whole} hours and {good_min} minutes**."
    )
    bad_h, bad_m = whole + bad_min // 60, bad_min % 60
    rejected = (
        f"The whole number is the hours: {whole} hours. The decimal part gives the minutes:\n\n"
        f".{digits} → {bad_min} minutes\n\nSo {fmt_num(x)} hours is **{bad_h} hours and {bad_m} minutes**."
    )
    return _example(prompt, chosen, rejected, "reads the decimal digits as minutes", x, "h", "h:min", whole * 60 + good_min)


def square_feet_to_m2(rng: random.Random) -> Example:
    x = rng.randint(120, 2500)
    space = pick(rng, ["apartment", "office", "garden", "studio", "basement"])
    prompt = pick(rng, [f"The {space} is {x:,} square feet. How many square metres is that?", f"Convert {x:,} sq ft to m²."])
    good, bad = x * 0.09290304, x * 0.3048
    chosen = f"One foot is 0.3048 m, so one square foot is 0.3048² = 0.09290304 m².\n\n{x:,} ft² × 0.09290304 = {fmt_num(good)} m²\n\nSo it is about **{fmt_num(good)} m²**."
    rejected = f"One foot is 0.3048 m, so multiply the area by 0.3048.\n\n{x:,} ft² × 0.3048 = {fmt_num(bad)} m²\n\nSo it is about **{fmt_num(bad)} m²**."
    return _example(prompt, chosen, rejected, "uses the linear factor for an area (not squared)", x, "ft2", "m2", good)


def kmh_to_ms(rng: random.Random) -> Example:
    x = pick(rng, [18, 27, 36, 45, 50, 54, 72, 90, 100, 108, 120, 130])
    what = pick(rng, ["a cyclist sprinting at", "a train cruising at", "a car on the motorway at", "the wind blowing at"])
    prompt = pick(rng, [f"What is {what} {x} km/h in metres per second?", f"Convert {x} km/h to m/s."])
    good, bad = x / 3.6, x * 3.6
    body = "One km/h is 1000 m per 3600 s, so {verb} by 3.6.\n\n{x} km/h {op} 3.6 = {y} m/s\n\nSo that is **{y} m/s**."
    return _example(
        prompt,
        body.format(verb="divide", x=x, op="÷", y=fmt_num(good)),
        body.format(verb="multiply", x=x, op="×", y=fmt_num(bad)),
        "multiplies by 3.6 instead of dividing",
        x, "km/h", "m/s", good,
    )


def km_to_miles(rng: random.Random) -> Example:
    x = round(rng.uniform(5, 100), 1)
    what = pick(rng, [f"a {fmt_num(x)} km run", f"a {fmt_num(x)} km ferry crossing", f"a {fmt_num(x)} km cycle route"])
    prompt = pick(rng, [f"How many miles is {what}?", f"Convert {what} to miles.", f"My watch logged {what}. What is that in miles?"])
    good, bad = x / 1.609344, x * 1.609344
    body = "One mile is 1.609344 km, so to go from kilometres to miles {verb} by 1.609344.\n\n{x} km {op} 1.609344 = {y} mi\n\nSo {what} is about **{y} miles**."
    return _example(
        prompt,
        body.format(verb="divide", x=fmt_num(x), op="÷", y=fmt_num(good), what=what),
        body.format(verb="multiply", x=fmt_num(x), op="×", y=fmt_num(bad), what=what),
        "multiplies by the factor instead of dividing",
        x, "km", "mi", good,
    )


def cm_to_inches(rng: random.Random) -> Example:
    x = rng.randint(5, 200)
    thing = pick(rng, ["the shelf", "my laptop screen", "the picture frame", "the desk", "the curtain"])
    prompt = pick(rng, [f"{thing.capitalize()} is {x} cm wide. How many inches is that?", f"Convert {x} cm to inches."])
    good, bad = x / 2.54, x * 2.54
    body = "One inch is exactly 2.54 cm, so {verb} the length in centimetres by 2.54.\n\n{x} cm {op} 2.54 = {y} in\n\nThat is about **{y} inches**."
    return _example(
        prompt,
        body.format(verb="divide", x=x, op="÷", y=fmt_num(good)),
        body.format(verb="multiply", x=x, op="×", y=fmt_num(bad)),
        "multiplies by 2.54 instead of dividing",
        x, "cm", "in", good,
    )


FAMILY = Family(
    name="units",
    subset="synth-units",
    description="unit conversions with a plausible wrong formula",
    templates=(
        Template("miles-km", miles_to_km),
        Template("fahrenheit-celsius", fahrenheit_to_celsius),
        Template("pounds-kg", pounds_to_kg),
        Template("decimal-hours", decimal_hours),
        Template("km-miles", km_to_miles),
        Template("cm-inches", cm_to_inches),
        Template("sqft-m2", square_feet_to_m2, heldout=True),
        Template("kmh-ms", kmh_to_ms, heldout=True),
    ),
)
