#!/usr/bin/env python3
"""Turn the real review fixtures (tests/fixtures/real: an amazon.com reviews page and
three Google Places responses) into labelled JSON Lines for `reviewradar eval`:

    python3 bench/real-fixtures.py > /tmp/real.jsonl
    reviewradar eval /tmp/real.jsonl --errors

Text only; the stars are the answer key (3 stars are skipped by eval). The texts
belong to their authors (see tests/fixtures/real/SOURCES.md): keep the output local.
"""
import html
import json
import os
import re
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "real")
out = []
for name in ["google-places-details.json", "google-places-details-fr.json", "google-places-details-sydney.json"]:
    with open(os.path.join(root, name), encoding="utf-8") as f:
        doc = json.load(f)
    for r in doc.get("result", doc).get("reviews", []):
        out.append({"text": r.get("text", ""), "stars": r.get("rating"), "lang": r.get("language", "?"), "kind": "google_places"})


def plain(s):
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", s))).strip()


with open(os.path.join(root, "amazon-customer-reviews.html"), encoding="utf-8", errors="replace") as f:
    page = f.read()
for block in re.split(r'data-hook="review"', page)[1:]:
    stars = re.search(r"a-star-(\d)", block)
    body = re.search(r'data-hook="review-body"[^>]*>(.*?)</span>', block, re.S)
    title = re.search(r'data-hook="review-title"[^>]*>(.*?)</a>', block, re.S)
    if stars and body:
        out.append({"title": plain(title.group(1)) if title else "", "text": plain(body.group(1)),
                    "stars": int(stars.group(1)), "lang": "en", "kind": "amazon"})
for o in out:
    sys.stdout.write(json.dumps(o, ensure_ascii=False) + "\n")
