#!/usr/bin/env python3
"""Generate deterministic RSS 2.0 review feeds for the reviewradar benchmark.

    python3 bench/gen_feeds.py --out bench/work/feeds [--feeds 1000] [--entries 50]
                               [--seed 20240601] [--now 2025-01-01T00:00:00Z]

Writes feed-0001.xml .. feed-NNNN.xml into --out. Each feed is a made-up review
stream for one fictional shop on one fictional platform. Every entry has a unique
guid and link, a title, a description of 1-3 sentences of review-like text in one
of en/de/es/fr/nl, and a pubDate spread over the 30 days before --now. About 20%
of the entries are complaints.

Output is byte-for-byte deterministic for a given (seed, now, feeds, entries).
--now defaults to today's 00:00 UTC, so repeated runs on one day produce the same
files (and nginx serves them with the same ETag/Last-Modified only if the files are
not rewritten: run.sh skips regeneration when the stamp file matches).

Only the standard library is used; all links point at *.example.invalid.
Texts combine general sentences with one slot-filled personal detail (model,
price, days, city, name...), so that nearly every text is distinct.
"""

import argparse
import datetime as dt
import os
import random
import sys
from email.utils import format_datetime
from xml.sax.saxutils import escape

LANGS = ["en", "de", "es", "fr", "nl"]
# Rough real-world mix for a European shop: more English and German.
LANG_WEIGHTS = [35, 25, 14, 14, 12]
COMPLAINT_SHARE = 0.20

PRODUCTS = {
    "en": ["kettle", "toaster", "coffee grinder", "blender", "espresso machine", "milk frother", "order", "parcel"],
    "de": ["Wasserkocher", "Toaster", "Kaffeemühle", "Mixer", "Siebträger", "Milchaufschäumer", "Bestellung", "Paket"],
    "es": ["hervidor", "tostadora", "molinillo", "batidora", "cafetera", "espumador", "pedido", "paquete"],
    "fr": ["bouilloire", "grille-pain", "moulin à café", "blender", "machine à expresso", "mousseur à lait", "commande", "colis"],
    "nl": ["waterkoker", "broodrooster", "koffiemolen", "blender", "espressomachine", "melkopschuimer", "bestelling", "pakket"],
}

# {p} = product. Positive/neutral sentences.
GOOD = {
    "en": [
        "The {p} arrived two days early and works perfectly.",
        "Really happy with my new {p}, solid build and easy to clean.",
        "Great value for the money, the {p} does exactly what it promises.",
        "Friendly support answered my question about the {p} within an hour.",
        "Packaging was neat and the {p} looks even better than in the photos.",
        "I use the {p} every morning and have had no issues so far.",
        "Delivery was quick and the courier was polite.",
        "Would definitely order from this shop again.",
        "Quiet, fast and simple to use.",
        "Five stars, no complaints at all.",
    ],
    "de": [
        "Der {p} kam zwei Tage früher als erwartet und funktioniert einwandfrei.",
        "Sehr zufrieden mit dem neuen {p}, solide verarbeitet und leicht zu reinigen.",
        "Preis-Leistung stimmt, der {p} hält, was er verspricht.",
        "Der Kundenservice hat meine Frage zum {p} innerhalb einer Stunde beantwortet.",
        "Schön verpackt, und der {p} sieht noch besser aus als auf den Fotos.",
        "Ich benutze den {p} jeden Morgen und hatte bisher keine Probleme.",
        "Schnelle Lieferung, freundlicher Paketbote.",
        "Ich würde jederzeit wieder hier bestellen.",
        "Leise, schnell und einfach zu bedienen.",
        "Fünf Sterne, alles bestens.",
    ],
    "es": [
        "El {p} llegó dos días antes y funciona perfectamente.",
        "Muy contento con mi nuevo {p}, bien construido y fácil de limpiar.",
        "Buena relación calidad-precio, el {p} cumple lo que promete.",
        "El servicio de atención respondió a mi pregunta sobre el {p} en una hora.",
        "El embalaje era cuidado y el {p} se ve aún mejor que en las fotos.",
        "Uso el {p} todas las mañanas y hasta ahora sin problemas.",
        "Entrega rápida y el repartidor fue muy amable.",
        "Sin duda volveré a comprar en esta tienda.",
        "Silencioso, rápido y fácil de usar.",
        "Cinco estrellas, nada que objetar.",
    ],
    "fr": [
        "La {p} est arrivée deux jours en avance et fonctionne parfaitement.",
        "Très satisfait de ma nouvelle {p}, solide et facile à nettoyer.",
        "Excellent rapport qualité-prix, la {p} fait exactement ce qui est promis.",
        "Le service client a répondu à ma question sur la {p} en moins d'une heure.",
        "Emballage soigné et la {p} est encore plus belle que sur les photos.",
        "J'utilise la {p} tous les matins et aucun souci pour l'instant.",
        "Livraison rapide et livreur très aimable.",
        "Je recommanderai sans hésiter dans cette boutique.",
        "Silencieux, rapide et simple à utiliser.",
        "Cinq étoiles, rien à redire.",
    ],
    "nl": [
        "De {p} kwam twee dagen eerder dan verwacht en werkt perfect.",
        "Heel blij met mijn nieuwe {p}, stevig en makkelijk schoon te maken.",
        "Goede prijs-kwaliteitverhouding, de {p} doet precies wat beloofd wordt.",
        "De klantenservice beantwoordde mijn vraag over de {p} binnen een uur.",
        "Netjes verpakt en de {p} ziet er nog mooier uit dan op de foto's.",
        "Ik gebruik de {p} elke ochtend en heb nog geen problemen gehad.",
        "Snelle levering en een vriendelijke bezorger.",
        "Ik zou zeker weer bij deze winkel bestellen.",
        "Stil, snel en eenvoudig in gebruik.",
        "Vijf sterren, helemaal tevreden.",
    ],
}

BAD = {
    "en": [
        "The {p} stopped working after a week and nobody answers my emails.",
        "Terrible experience: the {p} arrived broken and the refund is still pending.",
        "Three weeks later I am still waiting for my {p}, very disappointed.",
        "The {p} leaks and smells of burnt plastic, do not buy.",
        "Customer service was rude and refused to replace the faulty {p}.",
        "I was charged twice for the {p} and support keeps ignoring me.",
        "Cheap materials, the lid of the {p} cracked on day one.",
        "Worst purchase this year, avoid this shop.",
    ],
    "de": [
        "Der {p} ist nach einer Woche kaputtgegangen und niemand antwortet auf meine Mails.",
        "Katastrophe: der {p} kam beschädigt an und die Erstattung lässt auf sich warten.",
        "Nach drei Wochen warte ich immer noch auf meinen {p}, sehr enttäuschend.",
        "Der {p} ist undicht und riecht nach verbranntem Plastik, Finger weg.",
        "Der Kundenservice war unfreundlich und wollte den defekten {p} nicht ersetzen.",
        "Mir wurde der {p} doppelt abgebucht und der Support ignoriert mich.",
        "Billiges Material, der Deckel vom {p} ist am ersten Tag gerissen.",
        "Schlechtester Kauf des Jahres, nicht zu empfehlen.",
    ],
    "es": [
        "El {p} dejó de funcionar a la semana y nadie responde a mis correos.",
        "Experiencia horrible: el {p} llegó roto y el reembolso sigue pendiente.",
        "Tres semanas después sigo esperando mi {p}, muy decepcionado.",
        "El {p} gotea y huele a plástico quemado, no lo compréis.",
        "El servicio al cliente fue grosero y se negó a cambiar el {p} defectuoso.",
        "Me cobraron dos veces el {p} y el soporte me ignora.",
        "Materiales baratos, la tapa del {p} se rompió el primer día.",
        "La peor compra del año, evitad esta tienda.",
    ],
    "fr": [
        "La {p} a cessé de fonctionner au bout d'une semaine et personne ne répond.",
        "Expérience catastrophique : la {p} est arrivée cassée et le remboursement se fait attendre.",
        "Trois semaines plus tard, j'attends toujours ma {p}, très déçu.",
        "La {p} fuit et sent le plastique brûlé, à éviter.",
        "Le service client a été désagréable et a refusé de remplacer la {p} défectueuse.",
        "J'ai été débité deux fois pour la {p} et le support m'ignore.",
        "Matériaux bas de gamme, le couvercle de la {p} s'est fendu dès le premier jour.",
        "Pire achat de l'année, fuyez cette boutique.",
    ],
    "nl": [
        "De {p} ging na een week kapot en niemand reageert op mijn mails.",
        "Vreselijke ervaring: de {p} kwam kapot aan en de terugbetaling laat op zich wachten.",
        "Na drie weken wacht ik nog steeds op mijn {p}, erg teleurgesteld.",
        "De {p} lekt en ruikt naar verbrand plastic, niet kopen.",
        "De klantenservice was onbeleefd en weigerde de defecte {p} te vervangen.",
        "Ik heb twee keer betaald voor de {p} en de support negeert me.",
        "Goedkoop materiaal, het deksel van de {p} scheurde op de eerste dag.",
        "Slechtste aankoop van het jaar, vermijd deze winkel.",
    ],
}

# Personal details with slots, so that texts are (nearly) all different, as real
# reviews are: {m} model, {d} days, {k} count, {x} price, {n} first name, {c} city,
# {w} weekday. reviewradar drops a text contained in a stored one as a
# near-duplicate, so a generator recombining a few fixed sentences would turn
# most entries into duplicates and measure the wrong thing.
DETAIL_GOOD = {
    "en": ["Ordered the {m} on {w} and it was in {c} {d} days later.", "I paid {x} euros and have used it {k} times since.",
           "{n} from support sorted out my question in {k} minutes.", "My {r} liked the {m} so much that we ordered a second one.",
           "After {d} weeks of daily use the {m} still looks new."],
    "de": ["Am {w} den {m} bestellt, {d} Tage später war er in {c}.", "Ich habe {x} Euro bezahlt und ihn seitdem {k} Mal benutzt.",
           "{n} vom Support hat meine Frage in {k} Minuten geklärt.", "Meiner {r} gefällt der {m} so gut, dass wir einen zweiten bestellt haben.",
           "Nach {d} Wochen täglicher Nutzung sieht der {m} noch aus wie neu."],
    "es": ["Pedí el {m} el {w} y llegó a {c} {d} días después.", "Pagué {x} euros y lo he usado {k} veces desde entonces.",
           "{n} del servicio técnico resolvió mi duda en {k} minutos.", "A mi {r} le gustó tanto el {m} que pedimos otro.",
           "Tras {d} semanas de uso diario el {m} parece nuevo."],
    "fr": ["Commandé le {m} un {w}, livré à {c} {d} jours plus tard.", "J'ai payé {x} euros et je l'ai utilisé {k} fois depuis.",
           "{n} du service client a réglé ma question en {k} minutes.", "Ma {r} a tellement aimé le {m} que nous en avons commandé un deuxième.",
           "Après {d} semaines d'utilisation quotidienne, le {m} a l'air neuf."],
    "nl": ["Op {w} de {m} besteld, {d} dagen later was hij in {c}.", "Ik betaalde {x} euro en heb hem sindsdien {k} keer gebruikt.",
           "{n} van de klantenservice loste mijn vraag op in {k} minuten.", "Mijn {r} vond de {m} zo mooi dat we er nog een besteld hebben.",
           "Na {d} weken dagelijks gebruik ziet de {m} er nog als nieuw uit."],
}
DETAIL_BAD = {
    "en": ["Ordered the {m} on {w}, {d} days later still nothing in {c}.", "I paid {x} euros and it broke after {k} uses.",
           "I called support {k} times and {n} promised a callback that never came.", "Ticket number {t} has been open for {d} days.",
           "The replacement {m} has the same fault after {k} days."],
    "de": ["Am {w} den {m} bestellt, nach {d} Tagen ist in {c} immer noch nichts angekommen.", "Ich habe {x} Euro bezahlt und nach {k} Benutzungen war er kaputt.",
           "Ich habe {k} Mal beim Support angerufen, {n} hat einen Rückruf versprochen, der nie kam.", "Ticket {t} ist seit {d} Tagen offen.",
           "Der Ersatz-{m} hat nach {k} Tagen denselben Fehler."],
    "es": ["Pedí el {m} el {w} y {d} días después sigue sin llegar a {c}.", "Pagué {x} euros y se rompió después de {k} usos.",
           "Llamé al soporte {k} veces y {n} prometió devolver la llamada, nunca lo hizo.", "La incidencia {t} lleva {d} días abierta.",
           "El {m} de reemplazo tiene el mismo fallo a los {k} días."],
    "fr": ["Commandé le {m} un {w}, {d} jours plus tard toujours rien à {c}.", "J'ai payé {x} euros et il a lâché après {k} utilisations.",
           "J'ai appelé le support {k} fois, {n} a promis de me rappeler, jamais fait.", "Le ticket {t} est ouvert depuis {d} jours.",
           "Le {m} de remplacement a le même défaut au bout de {k} jours."],
    "nl": ["Op {w} de {m} besteld, na {d} dagen nog steeds niets in {c}.", "Ik betaalde {x} euro en na {k} keer gebruiken was hij kapot.",
           "Ik heb {k} keer de support gebeld, {n} beloofde terug te bellen maar deed het nooit.", "Ticket {t} staat al {d} dagen open.",
           "De vervangende {m} heeft na {k} dagen hetzelfde probleem."],
}
WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "nl": ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"],
}
RELATIVES = {
    "en": ["mother", "sister", "flatmate", "neighbour", "partner"],
    "de": ["Mutter", "Schwester", "Mitbewohnerin", "Nachbarin", "Frau"],
    "es": ["madre", "hermana", "vecina", "pareja", "compañera de piso"],
    "fr": ["mère", "sœur", "voisine", "colocataire", "compagne"],
    "nl": ["moeder", "zus", "buurvrouw", "huisgenote", "vriendin"],
}
CITIES = ["Amsterdam", "Berlin", "Madrid", "Lyon", "Gent", "Leeds", "Köln", "Sevilla", "Nantes", "Utrecht",
          "Dresden", "Bilbao", "Lille", "Groningen", "Bristol", "Graz", "Valencia", "Rennes", "Delft", "Bremen"]
MODEL_PREFIX = ["KW", "BH", "TX", "GW", "ST", "CC", "FW", "MS"]

TITLES_GOOD = {
    "en": ["Great {p}", "Very happy", "Recommended", "Fast delivery", "Does the job"],
    "de": ["Toller {p}", "Sehr zufrieden", "Empfehlenswert", "Schnelle Lieferung", "Erfüllt seinen Zweck"],
    "es": ["Buen {p}", "Muy contento", "Recomendable", "Entrega rápida", "Cumple"],
    "fr": ["Super {p}", "Très satisfait", "Je recommande", "Livraison rapide", "Fait le travail"],
    "nl": ["Prima {p}", "Heel tevreden", "Aanrader", "Snelle levering", "Doet wat het moet doen"],
}
TITLES_BAD = {
    "en": ["Broken {p}", "Very disappointed", "Avoid", "Still waiting", "No refund"],
    "de": ["{p} defekt", "Sehr enttäuscht", "Finger weg", "Warte immer noch", "Keine Erstattung"],
    "es": ["{p} roto", "Muy decepcionado", "Evitad", "Sigo esperando", "Sin reembolso"],
    "fr": ["{p} cassé(e)", "Très déçu", "À éviter", "Toujours en attente", "Pas de remboursement"],
    "nl": ["{p} kapot", "Erg teleurgesteld", "Vermijden", "Wacht nog steeds", "Geen terugbetaling"],
}

FIRST = ["Anna", "Jonas", "María", "Luc", "Sanne", "Tom", "Lea", "Pablo", "Claire", "Daan", "Emma", "Noah", "Sofia", "Hugo", "Fenna"]
LAST = "ABCDEFGHIJKLMNOPRSTVWZ"
PLATFORMS = ["trustpilot", "google", "shopvote", "ekomi", "kiyoh", "trustedshops", "yelp", "appstore"]
SHOPS = ["Kettlewerk", "Brewhaus", "Toastery", "Grindwell", "Steamly", "Crema & Co", "Frothworks", "Mugshop"]


def review(rng, lang, complaint):
    p = rng.choice(PRODUCTS[lang])
    slots = dict(
        p=p,
        m="%s-%d" % (rng.choice(MODEL_PREFIX), rng.randrange(100, 1000)),
        d=rng.randrange(2, 40), k=rng.randrange(2, 60), x=rng.randrange(19, 400),
        n=rng.choice(FIRST), c=rng.choice(CITIES), w=rng.choice(WEEKDAYS[lang]),
        r=rng.choice(RELATIVES[lang]), t="%06d" % rng.randrange(10**6),
    )
    pool = BAD[lang] if complaint else GOOD[lang]
    detail = DETAIL_BAD[lang] if complaint else DETAIL_GOOD[lang]
    n = rng.choice((1, 2, 2, 2, 3, 3))
    # One personal detail, plus 0-2 general sentences around it.
    others = rng.sample(pool, n - 1)
    mixed = complaint and n >= 2 and rng.random() < 0.3
    if mixed:
        others = others[1:]
    sentences = others + [rng.choice(detail)]
    rng.shuffle(sentences)
    if mixed:
        # Mixed review: one nice thing first, then the complaint(s).
        sentences.insert(0, rng.choice(GOOD[lang]))
    text = " ".join(s.format(**slots) for s in sentences)
    title_pool = TITLES_BAD[lang] if complaint else TITLES_GOOD[lang]
    title = rng.choice(title_pool).format(p=p)
    if title[0].islower():
        title = title[0].upper() + title[1:]
    rating = rng.choice((1, 1, 2)) if complaint else rng.choice((3, 4, 4, 5, 5, 5))
    return title, text, rating


def feed_xml(rng, idx, n_entries, now):
    fid = "feed-%04d" % idx
    platform = PLATFORMS[idx % len(PLATFORMS)]
    shop = SHOPS[(idx // len(PLATFORMS)) % len(SHOPS)]
    base = "https://%s.example.invalid/shops/%s-%04d" % (platform, shop.lower().replace(" & ", "-"), idx)
    items = []
    span = 30 * 24 * 3600
    offsets = sorted(rng.randrange(60, span) for _ in range(n_entries))  # newest first
    for n, off in enumerate(offsets):
        lang = rng.choices(LANGS, LANG_WEIGHTS)[0]
        complaint = rng.random() < COMPLAINT_SHARE
        title, text, rating = review(rng, lang, complaint)
        author = "%s %s." % (rng.choice(FIRST), rng.choice(LAST))
        rid = "%s-r%05d-%08x" % (fid, n, rng.getrandbits(32))
        link = "%s/reviews/%s" % (base, rid)
        when = now - dt.timedelta(seconds=off)
        items.append(
            "    <item>\n"
            "      <title>%s (%d/5)</title>\n"
            "      <link>%s</link>\n"
            "      <guid isPermaLink=\"false\">urn:reviewradar-bench:%s</guid>\n"
            "      <dc:creator>%s</dc:creator>\n"
            "      <description>%s</description>\n"
            "      <pubDate>%s</pubDate>\n"
            "    </item>\n"
            % (escape(title), rating, escape(link), escape(rid), escape(author),
               escape(text), format_datetime(when, usegmt=True))
        )
    last_build = now - dt.timedelta(seconds=offsets[0]) if offsets else now
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        "  <channel>\n"
        "    <title>%s reviews on %s</title>\n"
        "    <link>%s</link>\n"
        "    <description>Latest customer reviews of %s (benchmark feed %s)</description>\n"
        "    <language>en</language>\n"
        "    <lastBuildDate>%s</lastBuildDate>\n"
        "    <ttl>15</ttl>\n"
        "%s"
        "  </channel>\n"
        "</rss>\n"
        % (escape(shop), platform, escape(base), escape(shop), fid,
           format_datetime(last_build, usegmt=True), "".join(items))
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--entries", type=int, default=50)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--now", help="ISO 8601 UTC anchor time (default: today 00:00 UTC)")
    a = ap.parse_args(argv)

    if a.now:
        now = dt.datetime.fromisoformat(a.now.replace("Z", "+00:00"))
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.timezone.utc)
    else:
        now = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)

    os.makedirs(a.out, exist_ok=True)
    total = complaints = 0
    for idx in range(1, a.feeds + 1):
        # One RNG per feed: feed N is the same whatever --feeds says.
        rng = random.Random("%d/%d" % (a.seed, idx))
        xml = feed_xml(rng, idx, a.entries, now)
        total += xml.count("<item>")
        complaints += sum(1 for line in xml.splitlines() if "(1/5)" in line or "(2/5)" in line)
        path = os.path.join(a.out, "feed-%04d.xml" % idx)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(xml)
        os.replace(tmp, path)
    print("gen_feeds: %d feeds, %d entries, %d complaints (%.1f%%), now=%s, seed=%d -> %s"
          % (a.feeds, total, complaints, 100.0 * complaints / max(total, 1),
             now.strftime("%Y-%m-%dT%H:%M:%SZ"), a.seed, a.out), file=sys.stderr)


if __name__ == "__main__":
    main()
